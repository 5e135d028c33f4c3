import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';

const REPO = path.resolve(__dirname, '../../..');

function workflowSources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return workflowSources(full);
    return entry.name.endsWith('.ts') ? [fs.readFileSync(full, 'utf8')] : [];
  });
}

/** Marker id → 'patched' | 'deprecated', from the calls in src/workflows (constants resolved in the same file). */
export function markersInCode(sources: readonly string[]): Map<string, string> {
  const markers = new Map<string, string>();
  for (const source of sources) {
    const constants = new Map(
      [...source.matchAll(/const (\w+) = '([^']+)'/g)].map((m) => [m[1], m[2]] as const),
    );
    for (const m of source.matchAll(/\b(patched|deprecatePatch)\((?:'([^']+)'|(\w+))\)/g)) {
      const id = m[2] ?? constants.get(m[3]);
      if (id === undefined) throw new Error(`a ${m[1]}() call with an id that is not a literal: ${m[3]}`);
      markers.set(id, m[1] === 'patched' ? 'patched' : 'deprecated');
    }
  }
  return markers;
}

/** Marker id → stage, from the table of docs/patch-lifecycle.md. */
export function markersInDocs(markdown: string): Map<string, string> {
  return new Map(
    [...markdown.matchAll(/^\| `([^`]+)` +\| [^|]+\| [^|]+\| (\w+) +\|/gm)].map((m) => [m[1], m[2]] as const),
  );
}

describe('patch lifecycle (docs/patch-lifecycle.md)', () => {
  it('lists every marker of the workflow code at the stage the code has it', () => {
    const code = markersInCode(workflowSources(path.join(REPO, 'src', 'workflows')));
    const docs = markersInDocs(fs.readFileSync(path.join(REPO, 'docs', 'patch-lifecycle.md'), 'utf8'));
    expect(code.size).to.be.greaterThan(0);
    expect(Object.fromEntries(docs)).to.deep.equal(Object.fromEntries(code));
  });

  it('reads a stage change in the code (the check can fail)', () => {
    const code = markersInCode(["if (patched('a')) {}", "const P = 'b'; deprecatePatch(P);"]);
    expect(Object.fromEntries(code)).to.deep.equal({ a: 'patched', b: 'deprecated' });
    const docs = markersInDocs('| `a` | search | 2026-01-01 | patched | 2026-01-08 |\n');
    expect(Object.fromEntries(docs)).to.not.deep.equal(Object.fromEntries(code));
  });
});
