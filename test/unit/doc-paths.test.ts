import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';

const REPO = path.resolve(__dirname, '../../..');
const MAX_TABLE_WIDTH = 120;

/** README.md and every page of docs/, as repository-relative paths. */
function docFiles(): string[] {
  const docs = fs
    .readdirSync(path.join(REPO, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs.sort()];
}

/** `a/{b,c}.ts` → `a/b.ts`, `a/c.ts` (one level of braces, as the docs' shell lines use them). */
function expandBraces(token: string): string[] {
  const m = /^(.*?)\{([^{}]*)\}(.*)$/.exec(token);
  if (!m) return [token];
  return m[2].split(',').flatMap((part) => expandBraces(`${m[1]}${part}${m[3]}`));
}

/**
 * Every repository path a page names: tokens starting with src/, scripts/, docs/, examples/, test/, bin/ or
 * deploy/ (also behind dist/, mapped back to the TypeScript source). Placeholders (`<id>`, `…`, `*`) and
 * tokens inside URLs or longer paths (`.venv-bench/bin/python3`) are not paths of this repository.
 */
export function pathsNamed(markdown: string): string[] {
  const found = new Set<string>();
  const token = /(?<![\w./@~-])(dist\/)?((?:src|scripts|docs|examples|test|bin|deploy)\/[\w./{},*<>…-]*)/g;
  for (const m of markdown.matchAll(token)) {
    const raw = m[2].replace(/[.,:;]+$/, '');
    if (/[<>*…]/.test(raw)) continue;
    for (const p of expandBraces(raw)) {
      if (p.includes('{') || p.includes('}')) continue;
      found.add(m[1] && p.endsWith('.js') ? p.replace(/\.js$/, '.ts') : p);
    }
  }
  return [...found];
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
export function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsIn(markdown: string): Set<string> {
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const m = !fenced && /^#{1,6} (.*)$/.exec(line);
    if (m) anchors.add(anchorOf(m[1]));
  }
  return anchors;
}

/** Relative markdown links `[text](target#anchor)` of a page: target resolved from the page's folder. */
export function relativeLinks(markdown: string, page: string): { target: string; anchor?: string }[] {
  const links: { target: string; anchor?: string }[] = [];
  for (const m of markdown.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/i.test(m[1])) continue;
    const [file, anchor] = m[1].split('#');
    const target = file === '' ? page : path.posix.normalize(path.posix.join(path.posix.dirname(page), file));
    links.push({ target, anchor });
  }
  return links;
}

/** Table rows (outside code blocks) wider than the limit, as `line: width`. */
export function wideTableRows(markdown: string, limit = MAX_TABLE_WIDTH): string[] {
  const wide: string[] = [];
  let fenced = false;
  markdown.split('\n').forEach((line, i) => {
    if (line.trimStart().startsWith('```')) fenced = !fenced;
    const width = [...line].length;
    if (!fenced && /^\s*\|/.test(line) && width > limit) wide.push(`${i + 1}: ${width}`);
  });
  return wide;
}

describe('README.md and docs/: what they name exists', () => {
  const pages = docFiles().map((file) => ({ file, text: fs.readFileSync(path.join(REPO, file), 'utf8') }));

  it('names only repository paths that exist (src/, scripts/, docs/, examples/, test/, bin/, deploy/)', () => {
    const missing = pages.flatMap(({ file, text }) =>
      pathsNamed(text)
        .filter((p) => !fs.existsSync(path.join(REPO, p)))
        .map((p) => `${file}: ${p}`),
    );
    expect(missing).to.deep.equal([]);
  });

  it('links only to files and headings that exist', () => {
    const broken = pages.flatMap(({ file, text }) =>
      relativeLinks(text, file)
        .filter(({ target, anchor }) => {
          const full = path.join(REPO, target);
          if (!fs.existsSync(full)) return true;
          if (anchor === undefined || !target.endsWith('.md')) return false;
          return !anchorsIn(fs.readFileSync(full, 'utf8')).has(anchor);
        })
        .map(({ target, anchor }) => `${file}: ${target}${anchor === undefined ? '' : `#${anchor}`}`),
    );
    expect(broken).to.deep.equal([]);
  });

  it(`keeps every table within ${MAX_TABLE_WIDTH} columns`, () => {
    const wide = pages.flatMap(({ file, text }) => wideTableRows(text).map((row) => `${file}:${row}`));
    expect(wide).to.deep.equal([]);
  });

  it('reads stale paths, broken anchors and wide tables (the checks can fail)', () => {
    const text = [
      'See `src/ml/tpe.ts`, `dist/src/client.js`, `test/integration/{a,retraining}.test.ts` and `reports/<id>.html`.',
      'Not ours: `.venv-bench/bin/python3`, https://example.com/src/x.ts.',
      `| ${'x'.repeat(MAX_TABLE_WIDTH)} |`,
      '```',
      `| ${'y'.repeat(MAX_TABLE_WIDTH)} |`,
      '```',
    ].join('\n');
    expect(pathsNamed(text)).to.deep.equal([
      'src/ml/tpe.ts',
      'src/client.ts',
      'test/integration/a.test.ts',
      'test/integration/retraining.test.ts',
    ]);
    expect(fs.existsSync(path.join(REPO, 'src/ml/tpe.ts'))).to.equal(false);
    expect(wideTableRows(text)).to.deep.equal([`3: ${MAX_TABLE_WIDTH + 4}`]);
    expect(
      relativeLinks('[a](cli.md#cli) [b](../README.md) [c](https://x.org/y)', 'docs/x.md'),
    ).to.deep.equal([
      { target: 'docs/cli.md', anchor: 'cli' },
      { target: 'README.md', anchor: undefined },
    ]);
    expect(anchorOf('Hyperparameter search: sampler, ASHA, scale')).to.equal(
      'hyperparameter-search-sampler-asha-scale',
    );
    expect(anchorOf('The first write-up (v1 features)')).to.equal('the-first-write-up-v1-features');
  });
});
