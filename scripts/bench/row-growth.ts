/**
 * How one trial's cost per row changes with the number of rows, on one prepared set: the same fixed trial
 * (`FIXED_PARAMS`: 300 rounds, depth 6, no sampling, one thread, no per-round evaluation) trained on the first
 * fraction f of its training rows, for several f. Per f: the native engine alone in a one-thread pool, the
 * native engine as two trials at once in a two-thread pool (as a search's two training threads run them),
 * and Python's xgboost on the same rows (`$BENCH_PYTHON`, else /usr/bin/python3). A diagnostic for
 * `bench:scale`, whose 10×→100× growth it takes apart: per-row cost that grows with the rows in every engine
 * alike is the library's and the machine's (caches, memory bandwidth), not this project's. `--tile` trains on
 * the smallest fraction's rows repeated to each size instead, so the trees and the work per row stay the same
 * and only the size changes. `--matrix dense` times the native engine training from a dense DMatrix instead of
 * the QuantileDMatrix (in this thread, not the pool).
 *
 *   npm run -s build && node dist/scripts/bench/row-growth.js [--scale 100] [--fractions 0.1,0.25,0.5,1]
 *                                                            [--repeat 1] [--tile] [--matrix quantile|dense]
 *                                                            [--no-python] [--no-pair] [--json]
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadNativeEngine } from '../../src/engines/native-engine';
import { createTrialPool, type SharedTrialData } from '../../src/engines/trial-pool';
import { stackRows } from '../../src/features/stack-rows';
import { PREFERRED_VALIDATION_YEAR, preparePipelineData } from './data';
import { scaleData, scaleYearFiles } from './scale-data';
import { median, progress, round } from './stats';
import { FIXED_PARAMS, timeNativeAndWasm, timePython } from './trial';

const PROJECT_ROOT = path.resolve(__dirname, '../../..');

interface FractionReport {
  fraction: number;
  rows: number;
  native_ms: number;
  native_us_per_row: number;
  /** Per-row time against the smallest fraction's (1.0 = linear in the rows). */
  native_growth: number;
  /** Two trials at once on two threads: the mean of their training times. */
  pair_ms?: number;
  pair_vs_alone?: number;
  python_ms?: number;
  python_us_per_row?: number;
  python_growth?: number;
  python_error?: string;
}

/**
 * The first `baseRows` training rows repeated `times` times (a copy): the same trees and the same work per row
 * in every round whatever `times` is, so any change in the time per row comes from the size alone.
 */
function tiledRows(data: SharedTrialData, baseRows: number, times: number): SharedTrialData {
  const base = firstRows(data, baseRows);
  const tiled = stackRows(Array.from({ length: times }, () => ({ x: base.train, y: base.trainLabels })));
  return { ...base, train: tiled.x, trainLabels: tiled.y };
}

/** The first `rows` training rows of `data`, as views (no copy). */
function firstRows(data: SharedTrialData, rows: number): SharedTrialData {
  const { cols } = data.train;
  return {
    train: { data: data.train.data.subarray(0, rows * cols), rows, cols },
    trainLabels: data.trainLabels.subarray(0, rows),
    validation: data.validation,
    validationLabels: data.validationLabels,
  };
}

/**
 * The native engine training from a dense DMatrix (a copy of the rows) instead of the QuantileDMatrix trials
 * use, in this thread (the pool threads always use the QuantileDMatrix).
 */
function timeNativeDense(data: SharedTrialData, repeat: number): { trainMs: number } {
  const engine = loadNativeEngine(undefined, { trainingMatrix: 'dense' });
  const runs: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const started = performance.now();
    const model = engine.train({
      train: data.train,
      trainLabels: data.trainLabels,
      params: FIXED_PARAMS,
      nthread: 1,
    });
    runs.push(performance.now() - started);
    model.free();
    progress(`  native (dense DMatrix) run ${i + 1}/${repeat}: train ${runs[i].toFixed(0)} ms`);
  }
  return { trainMs: round(median(runs)) };
}

async function timePair(data: SharedTrialData, repeat: number): Promise<number> {
  const pool = createTrialPool({ threads: 2, nthreadPerTrial: 1 });
  try {
    const trial = () =>
      pool.runTrial({ engine: 'native', params: FIXED_PARAMS, earlyStoppingRounds: 0, data });
    await pool.runTrial({
      engine: 'native',
      params: { ...FIXED_PARAMS, n_estimators: 2 },
      earlyStoppingRounds: 0,
      data,
    });
    const runs: number[] = [];
    for (let i = 0; i < repeat; i++) {
      const outcomes = await Promise.all([trial(), trial()]);
      runs.push(outcomes.reduce((s, o) => s + o.trainMs, 0) / outcomes.length);
      progress(
        `  native pair run ${i + 1}/${repeat}: ${outcomes.map((o) => o.trainMs.toFixed(0)).join(' and ')} ms`,
      );
    }
    return round(median(runs));
  } finally {
    await pool.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scale: { type: 'string', default: '100' },
      fractions: { type: 'string', default: '0.1,0.25,0.5,1' },
      repeat: { type: 'string', default: '1' },
      'no-python': { type: 'boolean', default: false },
      'no-pair': { type: 'boolean', default: false },
      tile: { type: 'boolean', default: false },
      matrix: { type: 'string', default: 'quantile' },
      json: { type: 'boolean', default: false },
    },
  });
  const scale = Number(values.scale);
  const repeat = Number(values.repeat);
  const fractions = values.fractions.split(',').map(Number);
  if (!Number.isInteger(scale) || scale < 1)
    throw new Error(`--scale must be a whole number ≥ 1, got ${values.scale}`);
  if (!Number.isInteger(repeat) || repeat < 1)
    throw new Error(`--repeat must be a whole number ≥ 1, got ${values.repeat}`);
  if (fractions.some((f) => !(f > 0 && f <= 1)))
    throw new Error(`--fractions must lie in (0, 1], got ${values.fractions}`);
  if (values.matrix !== 'quantile' && values.matrix !== 'dense')
    throw new Error(`--matrix must be quantile or dense, got ${values.matrix}`);
  if (values.json) console.log = (...args: unknown[]) => console.error(...args); // stdout is for the JSON only

  const { source } = scaleData(scale, PROJECT_ROOT);
  progress(`${scale}×: preparing ${source.dir}`);
  const { data } = preparePipelineData(scaleYearFiles(source.dir), PREFERRED_VALIDATION_YEAR);
  const reports: FractionReport[] = [];
  // --tile: the smallest fraction's rows repeated to each fraction's size instead of the first rows.
  const baseRows = Math.round(Math.min(...fractions) * data.train.rows);
  for (const fraction of fractions) {
    const times = Math.round((fraction * data.train.rows) / baseRows);
    const rows = values.tile ? baseRows * times : Math.round(fraction * data.train.rows);
    const part = values.tile ? tiledRows(data, baseRows, times) : firstRows(data, rows);
    progress(
      `fraction ${fraction}: ${rows} training rows × ${data.train.cols}${values.tile ? ` (${times} × ${baseRows})` : ''}`,
    );
    const { native } =
      values.matrix === 'dense'
        ? { native: timeNativeDense(part, repeat) }
        : await timeNativeAndWasm(part, repeat, 0);
    const report: FractionReport = {
      fraction,
      rows,
      native_ms: native.trainMs,
      native_us_per_row: round((native.trainMs * 1000) / rows, 3),
      native_growth: 1,
    };
    if (!values['no-pair']) {
      report.pair_ms = await timePair(part, repeat);
      report.pair_vs_alone = round(report.pair_ms / native.trainMs, 2);
    }
    if (!values['no-python']) {
      const python = timePython(PROJECT_ROOT, part, repeat);
      if ('error' in python) report.python_error = python.error;
      else {
        report.python_ms = python.trainMs;
        report.python_us_per_row = round((python.trainMs * 1000) / rows, 3);
      }
    }
    reports.push(report);
  }
  const first = reports[0];
  for (const r of reports) {
    r.native_growth = round(r.native_us_per_row / first.native_us_per_row, 2);
    if (r.python_us_per_row !== undefined && first.python_us_per_row !== undefined)
      r.python_growth = round(r.python_us_per_row / first.python_us_per_row, 2);
  }

  const machine = {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model,
    loadavg: os.loadavg().map((l) => round(l, 2)),
  };
  if (values.json) {
    process.stdout.write(
      JSON.stringify(
        { scale, repeat, tile: values.tile, params: FIXED_PARAMS, machine, fractions: reports },
        null,
        2,
      ) + '\n',
    );
    return;
  }
  console.log(
    `${scale}× training rows${values.tile ? ' (tiled)' : ''}, one fixed trial (${FIXED_PARAMS.n_estimators} rounds, depth ${FIXED_PARAMS.max_depth}); ${machine.model}, load ${machine.loadavg.join(' ')}`,
  );
  console.log(
    'fraction      rows  native ms  µs/row  growth  pair ms  pair/alone  python ms  µs/row  growth',
  );
  for (const r of reports)
    console.log(
      [
        String(r.fraction).padStart(8),
        String(r.rows).padStart(9),
        String(r.native_ms).padStart(10),
        String(r.native_us_per_row).padStart(7),
        String(r.native_growth).padStart(7),
        String(r.pair_ms ?? '–').padStart(8),
        String(r.pair_vs_alone ?? '–').padStart(11),
        String(r.python_ms ?? r.python_error ?? '–').padStart(10),
        String(r.python_us_per_row ?? '–').padStart(7),
        String(r.python_growth ?? '–').padStart(7),
      ].join(' '),
    );
}

main().catch((err: unknown) => {
  console.error(`row-growth: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
