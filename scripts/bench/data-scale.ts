/**
 * How time and memory grow with the data: the synthetic generator's data at 1× (≈ 48,000 rows, the real data
 * set's size), 10× and optionally 100× (`--scale N`: N stations at every hour, 2012-2016, validation 2016),
 * and at each scale
 *   - preparation (read, parse, de-duplicate, split, features) time, the peak RSS of a process that only
 *     prepares, and the prepared set's bytes;
 *   - one trial (FIXED_PARAMS, one thread) in the native engine against Python's xgboost on the same matrices;
 *   - a 30-trial search through trainingWorkflow on a Temporal dev server (one worker process, two training
 *     threads), with its prepare, search, registration and run-report phases from the history;
 *   - batch scoring of the whole data set (batchPredictWorkflow with the run's champion).
 * See docs/scaling.md.
 *
 *   npm run bench:scale                              1× and 10×, table on stdout, progress on stderr
 *   npm run -s bench:scale -- --json                 only a JSON object on stdout
 *   node dist/scripts/bench/data-scale.js [--scales 1,10] [--with-100x] [--trials 30] [--repeat 3]
 *                                        [--default-training]
 *
 * `--default-training` runs the CLI's default training instead of a bare search: TPE + ASHA, the ensemble's
 * refits and one-year-ahead trainings on the trial queue (their memory is in the worker's peak RSS).
 *
 * The generated files are kept in $TMPDIR/traffic-scale-<N>x/ and reused. Python: $BENCH_PYTHON, else the
 * benchmark venv (scripts/bench/python-venv.ts).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { DEFAULT_ENSEMBLE, DEFAULT_REFIT, qualityDefaults } from '../../src/cli/training-options';
import type { TrainingInput } from '../../src/contracts';
import type { SharedTrialData } from '../../src/engines/trial-pool';
import { openBlobStore } from '../../src/storage/from-uri';
import { batchPredictWorkflow } from '../../src/workflows/batch-predict';
import { cleanupAll, installSignalHandlers } from './cleanup';
import { PREFERRED_VALIDATION_YEAR, preparePipelineData } from './data';
import { scaleData, scaleYearFiles } from './scale-data';
import { ensureBenchVenv } from './python-venv';
import { temporalSearch, type SearchSettings, type TemporalRun } from './search';
import { startDevServer } from './server';
import { mb, procStatusMb, progress, round } from './stats';
import { timeNativeAndWasm, timePython } from './trial';

const PROJECT_ROOT = path.resolve(__dirname, '../../..');
const SEED = 42;
/** Child mode: prepare (and time one trial) in a process of its own, so its peak RSS is this scale's alone. */
const CHILD_ENV = 'BENCH_SCALE_PREPARE_DIR';

interface PrepareReport {
  prepare_ms: number;
  /** Of prepare_ms, the time V8's garbage collector paused the preparation (all GC kinds). */
  prepare_gc_ms: number;
  /** Peak RSS of the process right after preparing (before any training). */
  prepare_peak_rss_mb: number;
  prepared_mb: number;
  train_rows: number;
  validation_rows: number;
  early_stopping_rows: number;
  features: number;
  trial?: {
    native_train_ms: number;
    python_train_ms?: number;
    python_error?: string;
    native_vs_python?: number;
    peak_rss_mb: number;
  };
}

function preparedBytes(data: SharedTrialData): number {
  const arrays = [
    data.train.data,
    data.trainLabels,
    data.validation.data,
    data.validationLabels,
    data.earlyStopping?.data,
    data.earlyStoppingLabels,
  ];
  return arrays.reduce((sum, a) => sum + (a?.byteLength ?? 0), 0);
}

function pythonForBench(): { python: string } | { error: string } {
  if (process.env.BENCH_PYTHON) return { python: process.env.BENCH_PYTHON };
  return ensureBenchVenv(PROJECT_ROOT);
}

async function prepareChild(dir: string, repeat: number): Promise<PrepareReport> {
  const files = scaleYearFiles(dir);
  let gcMs = 0;
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  });
  gc.observe({ entryTypes: ['gc'] });
  const prepared = preparePipelineData(files, PREFERRED_VALIDATION_YEAR);
  await new Promise((resolve) => setTimeout(resolve, 100)); // GC entries reach the observer on a later timer tick
  gc.disconnect();
  const report: PrepareReport = {
    prepare_ms: round(prepared.ms),
    prepare_gc_ms: round(gcMs),
    prepare_peak_rss_mb: round(process.resourceUsage().maxRSS / 1024),
    prepared_mb: mb(preparedBytes(prepared.data)),
    train_rows: prepared.data.train.rows,
    validation_rows: prepared.data.validation.rows,
    early_stopping_rows: prepared.data.earlyStopping?.rows ?? 0,
    features: prepared.data.train.cols,
  };
  if (repeat > 0) {
    const { native } = await timeNativeAndWasm(prepared.data, repeat, 0);
    const venv = pythonForBench();
    const python = 'error' in venv ? venv : timePython(PROJECT_ROOT, prepared.data, repeat, venv.python);
    report.trial = {
      native_train_ms: native.trainMs,
      ...('error' in python
        ? { python_error: python.error }
        : { python_train_ms: python.trainMs, native_vs_python: round(native.trainMs / python.trainMs, 2) }),
      peak_rss_mb: round(process.resourceUsage().maxRSS / 1024),
    };
  }
  return report;
}

function runPrepareChild(dir: string, repeat: number): PrepareReport {
  const result = spawnSync(process.execPath, [__filename, '--repeat', String(repeat)], {
    env: { ...process.env, [CHILD_ENV]: dir },
    encoding: 'utf8',
    maxBuffer: 16 * 2 ** 20,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (result.status !== 0) throw new Error(`prepare child for ${dir} exited with ${result.status}`);
  return JSON.parse(result.stdout) as PrepareReport;
}

interface ScaleReport {
  scale: number;
  rows: number;
  csv_mb: number;
  prepare: PrepareReport;
  search?: {
    trials: number;
    whole_run_ms: number;
    phases_ms: TemporalRun['phasesMs'];
    best_rmse: number;
    /** Sums over the trials: engine training time, and boosting rounds trained (the work the search did). */
    train_ms_sum: number;
    rounds_trained?: number;
    worker_peak_rss_mb?: number;
  };
  /** worker_peak_rss_mb: the worker's peak RSS (VmHWM) after the batch scoring, the training run's included. */
  batch_predict?: { rows: number; ms: number; worker_peak_rss_mb?: number };
}

async function measureScale(
  scale: number,
  settings: SearchSettings,
  repeat: number,
  withSearch: boolean,
  training?: Partial<TrainingInput>,
): Promise<ScaleReport> {
  const { source, rows } = scaleData(scale, PROJECT_ROOT);
  progress(`${scale}×: ${rows} rows; preparing and timing one trial in a child process`);
  const report: ScaleReport = {
    scale,
    rows,
    csv_mb: mb(source.files.reduce((sum, f) => sum + f.bytes, 0)),
    prepare: runPrepareChild(source.dir, repeat),
  };
  if (!withSearch) return report;
  progress(`${scale}×: ${settings.trials}-trial search, then batch scoring of all ${rows} rows`);
  const server = await startDevServer();
  try {
    const run = await temporalSearch(server, {
      label: `scale-${scale}x`,
      source,
      settings,
      processes: [{ trainingThreads: 2 }],
      ...(training ? { training } : {}),
      afterRun: async ({ config, workerPids }) => {
        const store = openBlobStore(config.artifactsUri, config.s3);
        const [header, ...bodies] = source.files.map((f) => fs.readFileSync(f.file, 'utf8'));
        const inputRef = 'bench-input/all-rows.csv';
        const rest = bodies.map((text) => text.slice(text.indexOf('\n') + 1));
        await store.put(inputRef, Buffer.from([header, ...rest].join('')));
        const started = performance.now();
        const scored = await server.client.workflow.execute(batchPredictWorkflow, {
          taskQueue: config.taskQueue,
          workflowId: `bench-batch-${scale}x-${Date.now().toString(36)}`,
          args: [{ modelName: 'bench-traffic', version: 'champion', inputRef, jobId: `scale-${scale}x` }],
        });
        if (scored.rows !== rows) throw new Error(`batch scoring returned ${scored.rows} of ${rows} rows`);
        report.batch_predict = {
          rows: scored.rows,
          ms: round(performance.now() - started),
          worker_peak_rss_mb: procStatusMb(workerPids[0], 'VmHWM'),
        };
      },
    });
    report.search = {
      trials: settings.trials,
      whole_run_ms: run.ms,
      phases_ms: run.phasesMs,
      best_rmse: run.bestRmse,
      train_ms_sum: round(run.trainMsSum),
      rounds_trained: run.roundsTrainedSum,
      worker_peak_rss_mb: run.workers[0]?.peakRssMb,
    };
  } finally {
    await server.stop();
  }
  return report;
}

function printTable(reports: ScaleReport[]): void {
  const cell = (v: number | undefined, width = 10): string =>
    (v === undefined ? '-' : String(round(v, 2))).padStart(width);
  console.log(
    'scale       rows  prep ms  prep RSS MB  prepared MB  trial ms  python ms  search s  register s  report s  batch s  worker RSS MB  after batch MB',
  );
  for (const r of reports) {
    const p = r.search?.phases_ms;
    console.log(
      `${`${r.scale}×`.padEnd(5)} ${String(r.rows).padStart(10)} ${cell(r.prepare.prepare_ms, 8)} ` +
        `${cell(r.prepare.prepare_peak_rss_mb, 12)} ${cell(r.prepare.prepared_mb, 12)} ` +
        `${cell(r.prepare.trial?.native_train_ms, 9)} ${cell(r.prepare.trial?.python_train_ms)} ` +
        `${cell(p?.search === undefined ? undefined : p.search / 1000, 9)} ` +
        `${cell(p?.register === undefined ? undefined : p.register / 1000, 11)} ` +
        `${cell(p?.report === undefined ? undefined : p.report / 1000, 9)} ` +
        `${cell(r.batch_predict && r.batch_predict.ms / 1000, 8)} ${cell(r.search?.worker_peak_rss_mb, 14)} ` +
        `${cell(r.batch_predict?.worker_peak_rss_mb, 15)}`,
    );
  }
  // Growth from each scale to the next, against linear (1.0 = exactly linear in the rows).
  for (let i = 1; i < reports.length; i++) {
    const [a, b] = [reports[i - 1], reports[i]];
    const rows = b.rows / a.rows;
    const growth = (x?: number, y?: number) =>
      x === undefined || y === undefined ? '-' : String(round(y / x / rows, 2));
    console.log(
      `${a.scale}× → ${b.scale}× (rows ×${round(rows, 1)}), growth / linear: prepare ${growth(a.prepare.prepare_ms, b.prepare.prepare_ms)}, ` +
        `trial ${growth(a.prepare.trial?.native_train_ms, b.prepare.trial?.native_train_ms)}, ` +
        `search ${growth(a.search?.phases_ms.search, b.search?.phases_ms.search)}, ` +
        `report ${growth(a.search?.phases_ms.report, b.search?.phases_ms.report)}, ` +
        `batch ${growth(a.batch_predict?.ms, b.batch_predict?.ms)}`,
    );
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      scales: { type: 'string', default: '1,10' },
      'with-100x': { type: 'boolean', default: false },
      trials: { type: 'string', default: '30' },
      repeat: { type: 'string', default: '3' },
      'no-search': { type: 'boolean', default: false },
      'default-training': { type: 'boolean', default: false },
    },
  });
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 0) throw new Error(`--repeat must be an integer >= 0`);
  const childDir = process.env[CHILD_ENV];
  if (childDir) {
    process.stdout.write(JSON.stringify(await prepareChild(childDir, repeat)) + '\n');
    return;
  }
  const scales = values.scales.split(',').map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--scales: "${s}" is not a positive integer`);
    return n;
  });
  if (values['with-100x'] && !scales.includes(100)) scales.push(100);
  const trials = Number(values.trials);
  if (!Number.isInteger(trials) || trials < 1) throw new Error(`--trials must be a positive integer`);
  if (values.json) console.log = (...args: unknown[]) => console.error(...args); // stdout is for the JSON only
  installSignalHandlers();
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const settings: SearchSettings = {
    trials,
    seed: SEED,
    parallelism: 16,
    earlyStoppingRounds: 30,
    top: 2,
    engine: 'native',
    validationYear: PREFERRED_VALIDATION_YEAR,
  };
  const reports: ScaleReport[] = [];
  for (const scale of scales.sort((a, b) => a - b))
    reports.push(
      await measureScale(
        scale,
        settings,
        repeat,
        !values['no-search'],
        values['default-training']
          ? {
              strategy: {},
              ...qualityDefaults('v2', 'native'),
              refit: DEFAULT_REFIT,
              ensemble: DEFAULT_ENSEMBLE,
            }
          : undefined,
      ),
    );
  if (values.json) {
    process.stdout.write(
      JSON.stringify(
        {
          settings: { ...settings, repeat, threads: 2, defaultTraining: values['default-training'] },
          scales: reports,
        },
        null,
        2,
      ) + '\n',
    );
  } else printTable(reports);
}

main()
  .catch((err: unknown) => {
    console.error(`bench:scale: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  })
  .finally(() => cleanupAll());
