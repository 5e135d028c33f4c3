import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * The layers of src/, bottom first: a module may import from its own layer or any layer below, never above
 * (docs/architecture.md). Contracts and leaf utilities are the ground floor; the composition roots are the top.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['contracts', 'common'],
  ['data', 'storage'],
  ['features', 'search'],
  ['evaluation'],
  ['engines'],
  ['registry', 'monitoring', 'mlflow', 'report', 'retraining', 'metrics'],
  ['activities', 'workflows'],
  ['config.ts', 'runtime', 'scheduling', 'cli', 'serve'],
  ['worker.ts', 'client.ts', 'start.ts', 'prediction-service.ts'],
];

/** Same-layer folders that still must not depend on each other, in this direction. */
const FORBIDDEN: readonly [string, string][] = [
  ['workflows', 'activities'],
  ['activities', 'workflows'],
];

const REPO = path.resolve(__dirname, '../../..');
const SRC = path.join(REPO, 'src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** The folder (or top-level file) of src/ a module belongs to. */
function unitOf(file: string): string {
  return path.relative(SRC, file).split(path.sep)[0];
}

function layerOf(unit: string): number {
  const layer = LAYERS.findIndex((units) => units.includes(unit));
  if (layer < 0) throw new Error(`src/${unit} is in no layer: add it to LAYERS in test/unit/layers.test.ts`);
  return layer;
}

/** Relative imports of a module (static, dynamic and require), resolved to files of src/. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  return info.importedFiles
    .map((ref) => ref.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => {
      const base = path.resolve(path.dirname(file), name.replace(/\.js$/, ''));
      const candidates = [`${base}.ts`, path.join(base, 'index.ts')];
      const found = candidates.find((candidate) => fs.existsSync(candidate));
      if (!found) throw new Error(`${path.relative(REPO, file)}: cannot resolve import '${name}'`);
      return found;
    });
}

function graph(): Map<string, string[]> {
  return new Map(sourceFiles(SRC).map((file) => [file, importsOf(file)]));
}

/** Every import cycle among the modules, each as the list of files around it (Tarjan's strongly connected parts). */
function cycles(edges: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next);
    next += 1;
    stack.push(node);
    onStack.add(node);
    for (const target of edges.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const part: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        part.push(path.relative(REPO, member));
      } while (member !== node);
      if (part.length > 1 || (edges.get(node) ?? []).includes(node)) found.push(part.sort());
    }
  };
  for (const node of edges.keys()) if (!index.has(node)) visit(node);
  return found;
}

describe('the layers of src/', () => {
  const edges = graph();

  it('puts every folder of src/ in a layer', () => {
    for (const file of edges.keys()) layerOf(unitOf(file));
  });

  it('has no import from a layer above', () => {
    const upward: string[] = [];
    for (const [file, targets] of edges) {
      const from = unitOf(file);
      for (const target of targets) {
        const to = unitOf(target);
        const wrongWay = FORBIDDEN.some(([a, b]) => a === from && b === to);
        if (layerOf(to) > layerOf(from) || wrongWay)
          upward.push(`${path.relative(REPO, file)} -> ${path.relative(REPO, target)}`);
      }
    }
    expect(upward, upward.join('\n')).to.deep.equal([]);
  });

  it('has no import cycle', () => {
    const found = cycles(edges);
    expect(found, found.map((part) => part.join(' <-> ')).join('\n')).to.deep.equal([]);
  });

  it('finds an upward import and a cycle when there is one (the checks can fail)', () => {
    const a = path.join(SRC, 'search', 'a.ts');
    const b = path.join(SRC, 'search', 'b.ts');
    expect(
      cycles(
        new Map([
          [a, [b]],
          [b, [a]],
        ]),
      ),
    ).to.have.length(1);
    expect(layerOf('activities')).to.be.greaterThan(layerOf('search'));
  });
});
