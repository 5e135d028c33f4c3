/**
 * Checks the TPE algorithm on two standard test functions, Branin (2-d) and Hartmann-6: the median (and
 * quartiles) over 20 seeds of the best value found after 50 and after 100 evaluations, for the project's
 * TPE (multivariate, its default, and per dimension), random search, hyperopt's TPE and Optuna's TPE.
 *
 *   npm run bench:tpe                   table on stdout, progress on stderr
 *   npm run -s bench:tpe -- --json      only a JSON object on stdout
 *   node dist/scripts/bench/tpe-functions.js [--seeds 20] [--functions branin,hartmann6] [--no-python]
 *
 * A search of budget 50 and one of budget 100 are separate runs for the project's TPE, whose default
 * start-up count depends on the budget; hyperopt and Optuna do not look at the budget, so their value after
 * 50 evaluations comes from the same run as after 100. hyperopt and Optuna run in `.venv-bench/` (created
 * on first use, see python-venv.ts) through scripts/bench/python_tuners.py.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sampleDimension, trialRng, type Dimension } from '../../src/search/search-space';
import { proposeTpe, type TpeObservation, type TpeOptions } from '../../src/search/tpe';
import { ensureBenchVenv, runPythonTuners } from './python-venv';
import { median, progress } from './stats';

const PROJECT_ROOT = path.resolve(__dirname, '../../..');
const BUDGETS = [50, 100] as const;

interface TestFunction {
  space: Dimension[];
  minimum: number;
  evaluate(x: readonly number[]): number;
}

const HARTMANN_ALPHA = [1.0, 1.2, 3.0, 3.2];
const HARTMANN_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const HARTMANN_P = [
  [0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
  [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
  [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.665],
  [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381],
];

const FUNCTIONS: Record<string, TestFunction> = {
  branin: {
    space: [
      { kind: 'uniform', low: -5, high: 10 },
      { kind: 'uniform', low: 0, high: 15 },
    ],
    minimum: 0.397887,
    evaluate([x1, x2]) {
      const b = 5.1 / (4 * Math.PI ** 2);
      const c = 5 / Math.PI;
      const t = 1 / (8 * Math.PI);
      return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
    },
  },
  hartmann6: {
    space: Array.from({ length: 6 }, () => ({ kind: 'uniform' as const, low: 0, high: 1 })),
    minimum: -3.32237,
    evaluate(x) {
      let total = 0;
      HARTMANN_ALPHA.forEach((alpha, i) => {
        let exponent = 0;
        x.forEach((xj, j) => (exponent += HARTMANN_A[i][j] * (xj - HARTMANN_P[i][j]) ** 2));
        total += alpha * Math.exp(-exponent);
      });
      return -total;
    },
  },
};

type Proposer = (space: Dimension[], observations: TpeObservation[], seed: number, index: number) => number[];

const TS_TUNERS: Record<string, (budget: number) => Proposer> = {
  tpe: (budget) => tpeProposer({ budget }),
  'tpe-univariate': (budget) => tpeProposer({ budget, multivariate: false }),
  random: () => (space, _observations, seed, index) => {
    const rng = trialRng(seed, index);
    return space.map((d) => sampleDimension(d, rng));
  },
};

function tpeProposer(options: TpeOptions): Proposer {
  return (space, observations, seed, index) =>
    proposeTpe(space, observations, trialRng(seed, index), options);
}

/** Best value after each evaluation of one sequential search. */
function trace(fn: TestFunction, propose: Proposer, budget: number, seed: number): number[] {
  const observations: TpeObservation[] = [];
  const out: number[] = [];
  let best = Infinity;
  for (let index = 0; index < budget; index++) {
    const values = propose(fn.space, observations, seed, index);
    const loss = fn.evaluate(values);
    observations.push({ index, values, loss });
    best = Math.min(best, loss);
    out.push(best);
  }
  return out;
}

interface Summary {
  median: number;
  q1: number;
  q3: number;
}

function summarise(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.round(p * (sorted.length - 1))];
  return { median: median(values), q1: at(0.25), q3: at(0.75) };
}

interface Row {
  function: string;
  tuner: string;
  library?: string;
  /** best value after 50 and 100 evaluations */
  after: Record<string, Summary>;
  /** per seed, for the record */
  bests: Record<string, number[]>;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      seeds: { type: 'string', default: '20' },
      functions: { type: 'string', default: Object.keys(FUNCTIONS).join(',') },
      'no-python': { type: 'boolean', default: false },
    },
  });
  const seeds = Number(values.seeds);
  if (!Number.isInteger(seeds) || seeds < 1)
    throw new Error(`--seeds must be a positive integer, got ${values.seeds}`);
  const functionNames = values.functions.split(',');
  for (const name of functionNames) {
    if (!FUNCTIONS[name])
      throw new Error(`unknown function ${name}; known: ${Object.keys(FUNCTIONS).join(', ')}`);
  }
  const seedList = Array.from({ length: seeds }, (_, i) => i);
  const venv = values['no-python'] ? { error: '--no-python' } : ensureBenchVenv(PROJECT_ROOT);
  if ('error' in venv) progress(`hyperopt and Optuna skipped: ${venv.error}`);

  const rows: Row[] = [];
  for (const name of functionNames) {
    const fn = FUNCTIONS[name];
    for (const [tuner, make] of Object.entries(TS_TUNERS)) {
      progress(`${name}: ${tuner}`);
      const bests: Record<string, number[]> = {};
      for (const budget of BUDGETS) {
        bests[budget] = seedList.map((seed) => trace(fn, make(budget), budget, seed)[budget - 1]);
      }
      rows.push({ function: name, tuner, after: mapSummaries(bests), bests });
    }
    if ('python' in venv) {
      for (const tuner of ['hyperopt', 'optuna']) {
        progress(`${name}: ${tuner} (python, ${seeds} seeds)`);
        const result = runPythonTuners<{ library: string; traces: number[][] }>(PROJECT_ROOT, venv.python, [
          'functions',
          '--tuner',
          tuner,
          '--function',
          name,
          '--budget',
          String(Math.max(...BUDGETS)),
          '--seeds',
          `0-${seeds - 1}`,
        ]);
        const bests: Record<string, number[]> = {};
        for (const budget of BUDGETS) bests[budget] = result.traces.map((t) => t[budget - 1]);
        rows.push({
          function: name,
          tuner: `${tuner} TPE`,
          library: result.library,
          after: mapSummaries(bests),
          bests,
        });
      }
    }
  }

  if (values.json) {
    console.log(JSON.stringify({ seeds, budgets: BUDGETS, rows }, null, 2));
    return;
  }
  console.log(`median best value over ${seeds} seeds (quartiles in brackets); lower is better`);
  console.log('| function | tuner | after 50 | after 100 |');
  console.log('| --- | --- | --- | --- |');
  for (const row of rows) {
    const cell = (s: Summary) => `${fmt(s.median)} [${fmt(s.q1)}, ${fmt(s.q3)}]`;
    const label = `${row.function} (min ${fmt(FUNCTIONS[row.function].minimum)})`;
    console.log(
      `| ${label} | ${row.tuner}${row.library ? ` (${row.library})` : ''} | ${cell(row.after[50])} | ${cell(row.after[100])} |`,
    );
  }
}

function mapSummaries(bests: Record<string, number[]>): Record<string, Summary> {
  return Object.fromEntries(Object.entries(bests).map(([k, v]) => [k, summarise(v)]));
}

function fmt(value: number): string {
  return value.toFixed(3);
}

main();
