/**
 * Search quality on the real data: random vs TPE vs TPE + ASHA through the project's own trial function
 * (the trial pool's threads, native engine), in a plain in-process loop that plans every trial with the
 * workflow's own code (src/search/trial-plan.ts: sampler, ASHA cut-offs, model bound; reproducible window).
 *
 *   npm run bench:search [-- --json] [--budgets 30,100] [--seeds 5] [--first-seed 0]
 *                        [--window 2] [--methods random,tpe,tpe-asha]
 *                        [--skip-python] [--asha MIN_ROUNDS:ETA[:MIN_TRIALS]] [--asha-keep floor|ceil]
 *                        [--asha-spare-startup]
 *
 * One search per (budget, method, seed), as `train --trials <budget>` runs it: the sampler knows the budget
 * (TPE's default start-up count depends on it, as in the search workflow), so a 30-trial search is not the
 * first 30 trials of a 100-trial one. hyperopt and Optuna run one search per budget and seed likewise.
 *
 * Data: $DATA_DIR, else ../shared/data/metro-traffic/by-year, else data/sample; years up to 2016,
 * validation 2016.
 */
import type { SamplerKind } from '../../src/contracts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_ASHA, rungRounds, type AshaSettings } from '../../src/search/asha';
import { createSampler } from '../../src/search/create-sampler';
import type { SearchObservation } from '../../src/search/observation-window';
import { createTrialPool, type SharedTrialData, type TrialPool } from '../../src/engines/trial-pool';
import { defaultStartupTrials } from '../../src/search/tpe';
import { planTrial, visibleTo } from '../../src/search/trial-plan';
import { locateData, prepare } from './data';
import { writeTrialMatrices } from './matrix-files';
import { ensureBenchVenv, runPythonTuners } from './python-venv';
import { median, progress, round } from './stats';

const PROJECT_ROOT = path.resolve(__dirname, '../../..');
const VALIDATION_YEAR = 2016;
const EARLY_STOPPING = 30;
const TOP = 2;

const METHODS = {
  random: { sampler: 'random', asha: false },
  tpe: { sampler: 'tpe', asha: false },
  'tpe-asha': { sampler: 'tpe', asha: true },
} as const satisfies Record<string, { sampler: SamplerKind; asha: boolean }>;
type Method = keyof typeof METHODS;

interface TrialRecord {
  rmse: number;
  roundsTrained: number;
  pruned: boolean;
}

interface SearchRun {
  method: Method;
  seed: number;
  budget: number;
  trials: TrialRecord[];
  /** CPU and wall ms (from the search's start) when trials 0 … k − 1 had all finished, by k. */
  cpuMsAt: number[];
  wallMsAt: number[];
}

/** One search, as the workflow runs it in reproducible mode, over `window` training threads. */
async function loopSearch(
  pool: TrialPool,
  data: SharedTrialData,
  method: Method,
  seed: number,
  budget: number,
  window: number,
  ashaSettings: AshaSettings,
  spareStartup = false,
): Promise<SearchRun> {
  const { sampler: kind, asha } = METHODS[method];
  const sampler = createSampler(kind, seed, { tpe: { budget } });
  const observations: SearchObservation[] = [];
  const trials: TrialRecord[] = [];
  const cpuMsAt: number[] = [];
  const wallMsAt: number[] = [];
  const finished = new Set<number>();
  let frontier = 0;
  let wake: Array<() => void> = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;

  const lane = async (): Promise<void> => {
    while (next < budget) {
      const index = next++;
      while (frontier <= index - window) await new Promise<void>((resolve) => wake.push(resolve));
      const plan = planTrial({
        sampler,
        index,
        seen: visibleTo(index, observations, window, true),
        top: TOP,
        asha,
        ashaSettings,
      });
      const outcome = await pool.runTrial({
        engine: 'native',
        params: plan.params,
        earlyStoppingRounds: EARLY_STOPPING,
        data,
        // --asha-spare-startup (an experiment): TPE's random start-up trials run to the end.
        pruning:
          spareStartup && plan.pruning && index < defaultStartupTrials(budget)
            ? { ...plan.pruning, cutoffs: plan.pruning.cutoffs.map(() => null) }
            : plan.pruning,
        saveModelIfRmseAtMost: plan.storeModelIfRmseAtMost,
      });
      trials[index] = {
        rmse: outcome.metrics.rmse,
        roundsTrained: outcome.roundsTrained,
        pruned: outcome.pruned,
      };
      const at = observations.findIndex((o) => o.index > index);
      observations.splice(at === -1 ? observations.length : at, 0, {
        index,
        params: plan.params,
        loss: outcome.metrics.rmse,
        ...(outcome.pruned ? { pruned: true } : {}),
        ...(outcome.rungScores.length > 0 ? { rungScores: outcome.rungScores } : {}),
      });
      finished.add(index);
      while (finished.delete(frontier)) {
        frontier++;
        const cpu = process.cpuUsage(cpu0);
        cpuMsAt[frontier] = (cpu.user + cpu.system) / 1000;
        wallMsAt[frontier] = performance.now() - t0;
      }
      const waiting = wake;
      wake = [];
      for (const resolve of waiting) resolve();
    }
  };
  await Promise.all(Array.from({ length: window }, lane));
  return { method, seed, budget, trials, cpuMsAt, wallMsAt };
}

interface BudgetSummary {
  method: Method | string;
  budget: number;
  seeds: number;
  bestRmse: { median: number; min: number; max: number };
  rounds: { median: number; min: number; max: number };
  cpuS: { median: number };
  wallS: { median: number };
  pruned: { median: number };
  /** Each seed's best RMSE and rounds, seed 0 first (our methods only). */
  bySeed?: { bestRmse: number[]; rounds: number[] };
}

function spread(values: number[], digits = 2) {
  return {
    median: round(median(values), digits),
    min: round(Math.min(...values), digits),
    max: round(Math.max(...values), digits),
  };
}

function summarise(runs: SearchRun[], method: Method, budget: number): BudgetSummary {
  const mine = runs.filter((r) => r.method === method && r.budget === budget);
  return {
    method,
    budget,
    seeds: mine.length,
    bestRmse: spread(mine.map((r) => Math.min(...r.trials.map((t) => t.rmse)))),
    rounds: spread(
      mine.map((r) => r.trials.reduce((s, t) => s + t.roundsTrained, 0)),
      0,
    ),
    cpuS: { median: round(median(mine.map((r) => r.cpuMsAt[budget] / 1000))) },
    wallS: { median: round(median(mine.map((r) => r.wallMsAt[budget] / 1000))) },
    pruned: { median: median(mine.map((r) => r.trials.filter((t) => t.pruned).length)) },
    bySeed: {
      bestRmse: mine.map((r) => round(Math.min(...r.trials.map((t) => t.rmse)), 2)),
      rounds: mine.map((r) => r.trials.reduce((s, t) => s + t.roundsTrained, 0)),
    },
  };
}

interface PythonTunerRun {
  bestRmse: number;
  totalRounds: number;
  cpuMs: number;
  wallMs: number;
  library: string;
  xgboostVersion: string;
}

/**
 * hyperopt's and Optuna's TPE on the same prepared matrices (scripts/bench/python_tuners.py, run in the
 * benchmark's virtual environment), one search per budget and seed; rows in the same shape as ours.
 */
function pythonTunerRows(
  data: SharedTrialData,
  budgets: number[],
  seeds: number,
  firstSeed: number,
): { rows: BudgetSummary[]; note: string } {
  const venv = ensureBenchVenv(PROJECT_ROOT);
  if ('error' in venv) return { rows: [], note: `hyperopt/Optuna not run: ${venv.error}` };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-search-'));
  const libraries = new Set<string>();
  try {
    writeTrialMatrices(dir, data);
    const rows: BudgetSummary[] = [];
    for (const tuner of ['hyperopt', 'optuna']) {
      for (const budget of budgets) {
        const runs: PythonTunerRun[] = [];
        for (let seed = firstSeed; seed < firstSeed + seeds; seed++) {
          progress(`seed ${seed}, ${tuner}: ${budget} trials`);
          const run = runPythonTuners<PythonTunerRun>(PROJECT_ROOT, venv.python, [
            'xgboost',
            '--tuner',
            tuner,
            '--data',
            dir,
            '--budget',
            String(budget),
            '--seed',
            String(seed),
            '--early-stopping',
            String(EARLY_STOPPING),
            '--nthread',
            '1',
          ]);
          libraries.add(`${run.library}, xgboost ${run.xgboostVersion}`);
          runs.push(run);
        }
        rows.push({
          method: `${tuner} TPE`,
          budget,
          seeds: runs.length,
          bestRmse: spread(runs.map((r) => r.bestRmse)),
          rounds: spread(
            runs.map((r) => r.totalRounds),
            0,
          ),
          cpuS: { median: round(median(runs.map((r) => r.cpuMs / 1000))) },
          wallS: { median: round(median(runs.map((r) => r.wallMs / 1000))) },
          pruned: { median: 0 },
        });
      }
    }
    return { rows, note: `Python tuners: ${[...libraries].join('; ')} (one thread, sequential)` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function checkTargets(rows: BudgetSummary[], budgets: number[]) {
  const row = (m: string, b: number) => rows.find((r) => r.method === m && r.budget === b);
  return budgets.map((b) => {
    const random = row('random', b);
    const tpe = row('tpe', b);
    const asha = row('tpe-asha', b);
    const hyperopt = row('hyperopt TPE', b);
    const optuna = row('optuna TPE', b);
    return {
      budget: b,
      tpeBeatsRandom: tpe && random ? tpe.bestRmse.median <= random.bestRmse.median : undefined,
      tpeBeatsHyperopt: tpe && hyperopt ? tpe.bestRmse.median <= hyperopt.bestRmse.median : undefined,
      tpeBeatsOptuna: tpe && optuna ? tpe.bestRmse.median <= optuna.bestRmse.median : undefined,
      ashaWithinHalfPercent: tpe && asha ? asha.bestRmse.median <= tpe.bestRmse.median * 1.005 : undefined,
      ashaRoundsRatio: tpe && asha ? round(asha.rounds.median / tpe.rounds.median, 3) : undefined,
    };
  });
}

function table(rows: BudgetSummary[]): string {
  const lines = [
    '| budget | method | best validation RMSE, median [min, max] | boosting rounds, median | pruned | CPU s | wall s |',
    '| ---: | --- | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows)
    lines.push(
      `| ${r.budget} | ${r.method} | ${r.bestRmse.median} [${r.bestRmse.min}, ${r.bestRmse.max}] | ${r.rounds.median} | ${r.pruned.median} | ${r.cpuS.median} | ${r.wallS.median} |`,
    );
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      budgets: { type: 'string', default: '30,100' },
      seeds: { type: 'string', default: '5' },
      // Seeds first-seed … first-seed + seeds − 1: another set of seeds checks a setting chosen on 0 … 4.
      'first-seed': { type: 'string', default: '0' },
      window: { type: 'string', default: '2' },
      methods: { type: 'string', default: Object.keys(METHODS).join(',') },
      'skip-python': { type: 'boolean', default: false },
      asha: { type: 'string', default: `${DEFAULT_ASHA.minRounds}:${DEFAULT_ASHA.eta}` },
      'asha-spare-startup': { type: 'boolean', default: false },
      'asha-keep': { type: 'string', default: 'floor' },
    },
  });
  const [minRounds, eta, minTrialsAtRung] = values.asha.split(':').map(Number);
  const ashaSettings: AshaSettings = {
    ...DEFAULT_ASHA,
    minRounds,
    eta,
    ...(minTrialsAtRung === undefined ? {} : { minTrialsAtRung }),
    ...(values['asha-keep'] === 'ceil' ? { keep: 'ceil' as const } : {}),
  };
  if (!['floor', 'ceil'].includes(values['asha-keep'])) throw new Error('--asha-keep must be floor or ceil');
  const budgets = values.budgets.split(',').map(Number);
  const seeds = Number(values.seeds);
  const firstSeed = Number(values['first-seed']);
  const window = Number(values.window);
  const methods = values.methods.split(',') as Method[];
  for (const m of methods) if (!(m in METHODS)) throw new Error(`unknown method "${m}"`);
  if (budgets.some((b) => !Number.isInteger(b) || b < 1))
    throw new Error('--budgets must be positive integers');

  const source = locateData(PROJECT_ROOT);
  const files = source.files.filter((f) => f.year <= VALIDATION_YEAR);
  progress(`preparing ${source.kind} data: ${files.map((f) => f.year).join(',')}`);
  const prepared = prepare(files, VALIDATION_YEAR);
  const pool = createTrialPool({ threads: window });
  const runs: SearchRun[] = [];
  try {
    // Seed-major, so that drifting load on the shared machine hits every method alike.
    for (let seed = firstSeed; seed < firstSeed + seeds; seed++) {
      for (const budget of budgets) {
        for (const method of methods) {
          progress(`seed ${seed}, ${method}: ${budget} trials`);
          runs.push(
            await loopSearch(
              pool,
              prepared.data,
              method,
              seed,
              budget,
              window,
              ashaSettings,
              values['asha-spare-startup'],
            ),
          );
        }
      }
    }
  } finally {
    await pool.close();
  }
  const ours = budgets.flatMap((b) => methods.map((m) => summarise(runs, m, b)));
  const python = values['skip-python']
    ? { rows: [], note: 'hyperopt/Optuna not run (--skip-python)' }
    : pythonTunerRows(prepared.data, budgets, seeds, firstSeed);
  const rows = [...ours, ...python.rows];
  const report = {
    data: {
      kind: source.kind,
      years: files.map((f) => f.year),
      trainRows: prepared.trainRows,
      validationRows: prepared.validationRows,
      validationYear: prepared.validationYear,
    },
    settings: {
      budgets,
      seeds,
      firstSeed,
      window,
      earlyStopping: EARLY_STOPPING,
      reproducible: true,
      engine: 'native',
      asha: ashaSettings,
      ashaSpareStartup: values['asha-spare-startup'],
    },
    rows,
    targets: checkTargets(rows, budgets),
    python: { note: python.note },
  };
  if (values.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else {
    console.log(
      `${source.kind} data ${report.data.years.join(',')} (validation ${report.data.validationYear}), ` +
        `seeds ${firstSeed}–${firstSeed + seeds - 1}, window ${window}, early stopping ${EARLY_STOPPING}, ` +
        `ASHA rungs ${rungRounds(ashaSettings).join(', ')} (η = ${ashaSettings.eta}` +
        `${ashaSettings.minTrialsAtRung === undefined ? '' : `, cut from ${ashaSettings.minTrialsAtRung} trials`})`,
    );
    console.log(table(rows));
    console.log('targets:', JSON.stringify(report.targets));
    console.log(report.python.note);
  }
}

main().catch((err: unknown) => {
  console.error(`bench:search: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
