/**
 * Performance benchmark: data preparation, one trial per engine (native, wasm, Python), and a 100-trial search
 * in a plain loop vs. through Temporal with one and with two worker processes. See docs/performance.md.
 *
 *   npm run bench                      human-readable table on stdout, progress on stderr
 *   npm run -s bench -- --json         only a JSON object on stdout (-s keeps npm's banner off stdout)
 *   node dist/scripts/bench.js --json --out bench.json [--trials 100] [--repeat 5] [--only prep,trial,loop,temporal,temporal2[,wasm-search]]
 *
 * Data: $DATA_DIR, else ../shared/data/metro-traffic/by-year (the real data set), else data/sample.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { probeNativeLibrary } from '../src/engines/native-library';
import { WASM_ENGINE_VERSION } from '../src/engines/wasm-engine';
import { findTemporalCli } from '../src/runtime/temporal-binary';
import { cleanupAll, installSignalHandlers } from './bench/cleanup';
import { locateData, prepare, type Prepared } from './bench/data';
import {
  loopSearch,
  searchPlan,
  temporalSearch,
  type LoopRun,
  type SearchSettings,
  type TemporalRun,
} from './bench/search';
import { startDevServer, type BenchServer } from './bench/server';
import { median, progress, round } from './bench/stats';
import { FIXED_PARAMS, timeNativeAndWasm, timePython } from './bench/trial';

const PROJECT_ROOT = path.resolve(__dirname, '../..');
const USAGE = `usage: node dist/scripts/bench.js [--json] [--out file.json] [--trials 100] [--repeat 5] [--wasm-repeat n]
       [--search-repeat 5] [--seed 42] [--parallelism 16] [--early-stopping 30] [--threads <cores>]
       [--trials-per-activity <n>]  (default: the search's automatic batch size)
       [--only prep,trial,loop,temporal,temporal2[,wasm-search]]
       node dist/scripts/bench.js --table bench.json   (prints the table of a saved result)
Data: $DATA_DIR, else ../shared/data/metro-traffic/by-year, else data/sample. Results: see docs/performance.md.
`;
const SECTIONS = ['prep', 'trial', 'loop', 'temporal', 'temporal2', 'wasm-search'] as const;
/** wasm-search (the loop once more with the wasm engine, ~7 min on 2 cores) is opt-in. */
const DEFAULT_SECTIONS = SECTIONS.filter((s) => s !== 'wasm-search');
type Section = (typeof SECTIONS)[number];

const TARGETS = {
  prepMs: 300,
  nativeVsPython: 1.3,
  wasmVsNative: 4,
  overhead: 1.1,
};

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    out: { type: 'string' },
    trials: { type: 'string', default: '100' },
    repeat: { type: 'string', default: '5' },
    'wasm-repeat': { type: 'string' },
    'search-repeat': { type: 'string', default: '5' },
    seed: { type: 'string', default: '42' },
    parallelism: { type: 'string', default: '16' },
    'trials-per-activity': { type: 'string' },
    'early-stopping': { type: 'string', default: '30' },
    threads: { type: 'string', default: String(os.availableParallelism()) },
    only: { type: 'string', default: DEFAULT_SECTIONS.join(',') },
    table: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

function integer(name: string, text: string | undefined, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`--${name} must be an integer >= ${min} (got ${text})`);
  return n;
}

function versionOf(pkg: string): string | undefined {
  try {
    const file = path.join(PROJECT_ROOT, 'node_modules', pkg, 'package.json');
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return undefined;
  }
}

function machineFacts() {
  const cli = findTemporalCli();
  const native = probeNativeLibrary().found;
  return {
    cpus: os.availableParallelism(),
    cpu_model: os.cpus()[0]?.model,
    memory_gb: round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    libxgboost: native ? `${native.version} (${native.path})` : 'not found',
    wasm_engine: WASM_ENGINE_VERSION,
    temporal_cli: cli ? spawnSync(cli, ['--version'], { encoding: 'utf8' }).stdout.trim() : 'not found',
    temporalio_sdk: versionOf('@temporalio/worker'),
    python_xgboost: undefined as string | undefined,
    load_before: os.loadavg().map((l) => round(l, 2)),
    load_after: undefined as number[] | undefined,
  };
}

const ratio = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined || b === 0 ? undefined : round(a / b, 2);
const perMinute = (trials: number, ms: number | undefined): number | undefined =>
  ms === undefined ? undefined : round((trials * 60_000) / ms, 1);

async function main(): Promise<void> {
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (values.table) {
    // Re-prints the table of a saved --out/--json result.
    process.stdout.write(table(JSON.parse(fs.readFileSync(values.table, 'utf8')) as Report) + '\n');
    return;
  }
  const only = new Set(values.only.split(',').map((s) => s.trim()) as Section[]);
  for (const s of only) if (!SECTIONS.includes(s)) throw new Error(`--only: unknown section ${s}`);
  const repeat = integer('repeat', values.repeat, 1);
  const wasmRepeat = integer('wasm-repeat', values['wasm-repeat'] ?? values.repeat, 0);
  const trials = integer('trials', values.trials, 1);
  const threads = integer('threads', values.threads, 1);
  const searchRepeats = integer('search-repeat', values['search-repeat'], 1);
  if (values.json) console.log = (...args: unknown[]) => console.error(...args); // stdout is for the JSON only

  installSignalHandlers();
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const benchStarted = performance.now();
  const source = locateData(PROJECT_ROOT);
  const machine = machineFacts();
  progress(
    `data: ${source.kind} ${source.dir} (${source.files.map((f) => f.year).join(', ')}); ${machine.cpus} cores`,
  );

  // 1. Data preparation of every file present, in-process.
  const runs: Prepared[] = [];
  const prepRepeat = only.has('prep') ? repeat : 1;
  for (let i = 0; i < prepRepeat; i++) {
    runs.push(prepare(source.files));
    progress(`prep run ${i + 1}/${prepRepeat}: ${runs[i].totalMs.toFixed(1)} ms, ${runs[i].rows} rows`);
  }
  const prepared = runs[0];
  const phase = (name: keyof Prepared['phases']) => round(median(runs.map((r) => r.phases[name])));
  const prep = only.has('prep')
    ? {
        prep_ms: round(median(runs.map((r) => r.totalMs))),
        prep_runs_ms: runs.map((r) => round(r.totalMs)),
        phases_ms: {
          read: phase('read'),
          parse: phase('parse'),
          dedupe: phase('dedupe'),
          split: phase('split'),
          fit: phase('fit'),
          transform: phase('transform'),
        },
      }
    : {};
  const dataFacts = {
    kind: source.kind,
    dir: source.dir,
    years: source.files.map((f) => f.year),
    bytes: source.files.reduce((s, f) => s + f.bytes, 0),
    rows: prepared.rows,
    rows_after_dedupe: prepared.uniqueRows,
    bad_rows: prepared.badRows,
    validation_year: prepared.validationYear,
    train_years: prepared.trainYears,
    train_rows: prepared.trainRows,
    validation_rows: prepared.validationRows,
    features: prepared.featureNames.length,
  };

  const settings: SearchSettings = {
    trials,
    seed: integer('seed', values.seed, 0),
    parallelism: integer('parallelism', values.parallelism, 1),
    ...(values['trials-per-activity'] === undefined
      ? {}
      : { trialsPerActivity: integer('trials-per-activity', values['trials-per-activity'], 1) }),
    earlyStoppingRounds: integer('early-stopping', values['early-stopping'], 0),
    top: 2,
    engine: 'native',
    validationYear: prepared.validationYear,
  };
  const plan = searchPlan(settings.seed, settings.trials);

  // 3. The search, three ways, interleaved per repetition so that drifting background load hits all of them.
  //    Before the engine timings, so that this process's peak RSS is the loop's and not the wasm engine's.
  const searchRepeat = only.has('loop') || only.has('temporal') || only.has('temporal2') ? searchRepeats : 0;
  const loops: LoopRun[] = [];
  const ones: TemporalRun[] = [];
  const twos: TemporalRun[] = [];
  let loopPeakRssMb: number | undefined;
  // A fresh dev server for each Temporal run, started before and stopped after the clock: it neither idles
  // beside the loop runs nor carries earlier runs' state.
  const withServer = async <T>(run: (server: BenchServer) => Promise<T>): Promise<T> => {
    const server = await startDevServer();
    try {
      return await run(server);
    } finally {
      await server.stop();
    }
  };
  for (let rep = 1; rep <= searchRepeat; rep++) {
    const tag = `r${rep}`;
    if (only.has('loop')) {
      progress(`search ${tag}: in-process loop, ${trials} trials on ${threads} threads`);
      const loop = await loopSearch(source, settings, plan, threads);
      loopPeakRssMb ??= loop.peakRssMb;
      loops.push(loop);
      progress(`search ${tag}: loop ${(loop.ms / 1000).toFixed(1)} s`);
    }
    if (only.has('temporal')) {
      const run = await withServer((server) =>
        temporalSearch(server, {
          label: `t1-${tag}`,
          source,
          settings,
          processes: [{ trainingThreads: threads }],
        }),
      );
      ones.push(run);
      progress(`search ${tag}: temporal, 1 process: ${(run.ms / 1000).toFixed(1)} s`);
    }
    if (only.has('temporal2')) {
      const perProcess = Math.max(1, Math.floor(threads / 2));
      const run = await withServer((server) =>
        temporalSearch(server, {
          label: `t2-${tag}`,
          source,
          settings,
          processes: [{ trainingThreads: perProcess }, { trainingThreads: perProcess }],
        }),
      );
      twos.push(run);
      progress(`search ${tag}: temporal, 2 processes: ${(run.ms / 1000).toFixed(1)} s`);
    }
  }

  // Optional: the loop with the wasm engine (no early stopping there: every trial runs all its rounds).
  let wasmLoop: LoopRun | undefined;
  if (only.has('wasm-search')) {
    progress(`search: in-process loop with the wasm engine, ${trials} trials on ${threads} threads`);
    wasmLoop = await loopSearch(source, { ...settings, engine: 'wasm' }, plan, threads);
    progress(`search: wasm loop ${(wasmLoop.ms / 1000).toFixed(1)} s`);
  }

  // 2. One trial per engine.
  let trial: Record<string, unknown> | undefined;
  let nativeVsPython: number | undefined;
  let wasmVsNative: number | undefined;
  if (only.has('trial')) {
    const { native, wasm } = await timeNativeAndWasm(prepared.data, repeat, wasmRepeat);
    const python = timePython(PROJECT_ROOT, prepared.data, repeat);
    const py = 'error' in python ? undefined : python;
    if (py) machine.python_xgboost = `${py.version} (${py.python})`;
    nativeVsPython = ratio(native.trainMs, py?.trainMs);
    wasmVsNative = ratio(wasm?.trainMs, native.trainMs);
    trial = {
      params: FIXED_PARAMS,
      nthread: 1,
      early_stopping_rounds: 0,
      train_rows: prepared.trainRows,
      validation_rows: prepared.validationRows,
      features: prepared.featureNames.length,
      native_ms: native.trainMs,
      wasm_ms: wasm?.trainMs,
      python_ms: py?.trainMs,
      native_rmse: round(native.rmse, 3),
      wasm_rmse: wasm && round(wasm.rmse, 3),
      python_rmse: py && round(py.rmse, 3),
      native_vs_python: nativeVsPython,
      wasm_vs_native: wasmVsNative,
      native_wall_ms: native.wallMs,
      wasm_wall_ms: wasm?.wallMs,
      runs: { native: native.runs, wasm: wasm?.runs, python: py?.runs },
      ...('error' in python ? { python_error: python.error } : {}),
    };
  }

  const med = (runs: { ms: number }[]): number | undefined =>
    runs.length === 0 ? undefined : round(median(runs.map((r) => r.ms)));
  const loopMs = med(loops);
  const oneMs = med(ones);
  const twoMs = med(twos);
  const reference = loops[0]?.rmses;
  const sameRmses = (runs: TemporalRun[]): boolean | undefined =>
    reference && runs.length > 0
      ? runs.every((run) => run.rmses.every((v, i) => v === reference[i]))
      : undefined;
  const bestRmse = (runs: { bestRmse: number }[]): number | undefined =>
    runs.length === 0 ? undefined : round(runs[0].bestRmse, 3);
  const medianBy = <T>(runs: T[], value: (run: T) => number, digits = 1): number | undefined =>
    runs.length === 0 ? undefined : round(median(runs.map(value)), digits);
  const medianOf = (runs: { trainMsSum: number }[]): number | undefined =>
    medianBy(runs, (r) => r.trainMsSum);
  /**
   * All CPU a run used per ms of CPU in its training threads, both measured in the same run: unlike wall
   * times, this does not move when the (shared, virtual) machine gets faster or slower between runs.
   */
  const cpuPerTrainingCpu = (run: LoopRun | TemporalRun): number =>
    'workers' in run
      ? temporalCpu(run) / run.workers.reduce((sum, w) => sum + (w.cpuByThreadMs?.training ?? 0), 0)
      : run.cpuMs / run.cpuByThreadMs.training;
  /** All CPU (workers and dev server) per training-thread CPU until the search completed. */
  const searchPhaseCpuPerTrainingCpu = (run: TemporalRun): number => {
    const phase = run.searchPhase;
    if (!phase) return Number.NaN;
    const workersCpu = phase.workers.reduce((sum, w) => sum + (w.cpuMs ?? 0), 0);
    const training = phase.workers.reduce((sum, w) => sum + (w.cpuByThreadMs?.training ?? 0), 0);
    return (workersCpu + (phase.serverCpuMs ?? 0)) / training;
  };
  /** The same without the dev server (its own cost stated apart, as a production server runs elsewhere). */
  const searchPhaseWorkerCpuPerTrainingCpu = (run: TemporalRun): number => {
    const phase = run.searchPhase;
    if (!phase) return Number.NaN;
    const workersCpu = phase.workers.reduce((sum, w) => sum + (w.cpuMs ?? 0), 0);
    const training = phase.workers.reduce((sum, w) => sum + (w.cpuByThreadMs?.training ?? 0), 0);
    return workersCpu / training;
  };
  /** CPU of everything a Temporal run used: worker processes, dev server, and this client. */
  const temporalCpu = (run: TemporalRun): number =>
    run.workers.reduce((sum, w) => sum + (w.cpuMs ?? 0), 0) + (run.serverCpuMs ?? 0) + run.clientCpuMs;
  /** Per worker position, the largest peak over the repetitions. */
  const peaks = (runs: TemporalRun[]): (number | undefined)[] | undefined =>
    runs.length === 0
      ? undefined
      : runs[0].workers.map((_, i) => Math.max(...runs.map((r) => r.workers[i]?.peakRssMb ?? 0)));

  const search = {
    trials,
    seed: settings.seed,
    engine: settings.engine,
    early_stopping_rounds: settings.earlyStoppingRounds,
    parallelism: settings.parallelism,
    trials_per_activity: settings.trialsPerActivity ?? 'auto',
    top_registered: settings.top,
    training_threads_total: threads,
    nthread_per_trial: 1,
    years: source.files.map((f) => f.year).filter((y) => y <= settings.validationYear),
    validation_year: settings.validationYear,
    repetitions: searchRepeat,
    temporal_ms: oneMs,
    temporal_ms_2_workers: twoMs,
    loop_ms: loopMs,
    runs_ms: {
      loop: loops.map((r) => r.ms),
      temporal: ones.map((r) => r.ms),
      temporal_2_workers: twos.map((r) => r.ms),
    },
    foreign_cpu_ms: {
      loop: loops.map((r) => r.disturbance?.foreign),
      temporal: ones.map((r) => r.disturbance?.foreign),
      temporal_2_workers: twos.map((r) => r.disturbance?.foreign),
    },
    trials_per_min: {
      temporal: perMinute(trials, oneMs),
      temporal_2_workers: perMinute(trials, twoMs),
      loop: perMinute(trials, loopMs),
    },
    wasm_loop_ms: wasmLoop?.ms,
    wasm_loop_vs_native_loop: ratio(wasmLoop?.ms, loopMs),
    wasm_loop_best_rmse: wasmLoop && round(wasmLoop.bestRmse, 3),
    overhead_ratio: ratio(oneMs, loopMs),
    cpu_overhead_ratio: ratio(medianBy(ones, cpuPerTrainingCpu, 4), medianBy(loops, cpuPerTrainingCpu, 4)),
    // The same, counting only until the search child completed (prepare + search: the loop's work).
    search_phase_cpu_overhead_ratio: ratio(
      medianBy(ones, searchPhaseCpuPerTrainingCpu, 4),
      medianBy(loops, cpuPerTrainingCpu, 4),
    ),
    search_phase_worker_cpu_overhead_ratio: ratio(
      medianBy(ones, searchPhaseWorkerCpuPerTrainingCpu, 4),
      medianBy(loops, cpuPerTrainingCpu, 4),
    ),
    search_phase: ones.map((r) => r.searchPhase),
    cpu_overhead_ratio_2_workers: ratio(
      medianBy(twos, cpuPerTrainingCpu, 4),
      medianBy(loops, cpuPerTrainingCpu, 4),
    ),
    overhead_ratio_2_workers: ratio(twoMs, loopMs),
    speedup_2_workers_vs_1: ratio(oneMs, twoMs),
    best_rmse: { loop: bestRmse(loops), temporal: bestRmse(ones), temporal_2_workers: bestRmse(twos) },
    identical_trial_rmses_to_loop: { temporal: sameRmses(ones), temporal_2_workers: sameRmses(twos) },
    train_ms_sum: { loop: medianOf(loops), temporal: medianOf(ones), temporal_2_workers: medianOf(twos) },
    cpu_ms: {
      loop: medianBy(loops, (r) => r.cpuMs),
      temporal: medianBy(ones, temporalCpu),
      temporal_2_workers: medianBy(twos, temporalCpu),
    },
    mean_trial_train_ms: medianBy(loops, (r) => r.trainMsSum / trials),
    model_mb_per_search: medianBy(loops, (r) => r.modelBytes / 2 ** 20),
    worker_cpu_outside_training_ms_per_trial: medianBy(
      [...ones, ...twos],
      (r) =>
        r.workers.reduce((sum, w) => sum + (w.cpuMs ?? 0) - (w.cpuByThreadMs?.training ?? 0), 0) / trials,
    ),
    server_cpu_ms_per_trial: medianBy([...ones, ...twos], (r) => (r.serverCpuMs ?? Number.NaN) / trials),
    history_events_per_trial: medianBy([...ones, ...twos], (r) => r.history.searchEvents / trials),
    history_bytes_per_trial: medianBy([...ones, ...twos], (r) => r.history.searchBytes / trials),
    result_bytes_per_trial: medianBy([...ones, ...twos], (r) => r.resultBytes / trials),
    loop_runs: loops.map(({ rmses: _rmses, ...rest }) => ({ ...rest, bestRmse: round(rest.bestRmse, 3) })),
    temporal_runs: [...ones, ...twos].map(({ rmses: _rmses, ...rest }) => ({
      ...rest,
      bestRmse: round(rest.bestRmse, 3),
    })),
  };

  const peakRss = {
    loop_process: loopPeakRssMb,
    temporal_1_worker: peaks(ones),
    temporal_2_workers: peaks(twos),
  };

  const check = (name: string, value: number | undefined, ok: (v: number) => boolean) => ({
    name,
    value,
    met: value === undefined ? undefined : ok(value),
  });
  const checks = [
    check('prep_ms < 300', prep.prep_ms, (v) => v < TARGETS.prepMs),
    check('native ≤ 1.3 × python', nativeVsPython, (v) => v <= TARGETS.nativeVsPython),
    check('wasm ≥ 4 × native', wasmVsNative, (v) => v >= TARGETS.wasmVsNative),
    check('temporal / loop ≤ 1.10', search.overhead_ratio, (v) => v <= TARGETS.overhead),
  ];

  machine.load_after = os.loadavg().map((l) => round(l, 2));
  const report = {
    machine,
    data: dataFacts,
    prep_ms: prep.prep_ms,
    rows: prepared.rows,
    prep,
    trial,
    search,
    peak_rss_mb: peakRss,
    targets: checks,
    bench_ms: round(performance.now() - benchStarted),
    command: `node dist/scripts/bench.js ${process.argv.slice(2).join(' ')}`.trim(),
  };
  const json = JSON.stringify(report, null, 2);
  if (values.out) fs.writeFileSync(values.out, json + '\n');
  if (values.json) process.stdout.write(json + '\n');
  else process.stdout.write(table(report) + '\n');
}

type Report = {
  machine: ReturnType<typeof machineFacts>;
  data: Record<string, unknown>;
  prep_ms?: number;
  rows: number;
  prep: { phases_ms?: Record<string, number> };
  trial?: Record<string, unknown>;
  search: Record<string, unknown> & {
    trials_per_min: Record<string, number | undefined>;
    runs_ms: Record<string, number[]>;
  };
  peak_rss_mb: {
    loop_process?: number;
    temporal_1_worker?: (number | undefined)[];
    temporal_2_workers?: (number | undefined)[];
  };
  targets: { name: string; value?: number; met?: boolean }[];
  bench_ms: number;
};

function show(v: unknown, unit = ''): string {
  if (v === undefined || v === null) return '–';
  if (typeof v === 'number') return `${v.toLocaleString('en-US')}${unit}`;
  if (Array.isArray(v)) return `${v.map((x) => show(x)).join(' / ')}${unit}`;
  return `${String(v)}${unit}`;
}

function table(r: Report): string {
  const rows: [string, string, string][] = [];
  const add = (metric: string, value: unknown, unit = '', note = ''): void => {
    rows.push([metric, show(value, unit), note]);
  };
  const d = r.data;
  const m = r.machine;
  add('machine', `${m.cpus} cores, ${m.memory_gb} GB`, '', `${m.cpu_model}; load ${m.load_before.join(' ')}`);
  const years = d.years as number[];
  add('data', `${d.kind}, ${years[0]}–${years[years.length - 1]}`, '', String(d.dir));
  add('rows (parsed)', r.rows, '', `${show(d.rows_after_dedupe)} after de-duplication`);
  add('prep_ms (median)', r.prep_ms, ' ms', 'target < 300 ms');
  if (r.prep.phases_ms) {
    const phases = Object.entries(r.prep.phases_ms).map(([k, v]) => `${k} ${v}`);
    add('  phases', '', '', `${phases.join(', ')} (ms, medians)`);
  }
  const t = r.trial;
  if (t) {
    add('trial rows', `${show(t.train_rows)} / ${show(t.validation_rows)}`, '', 'train / validation');
    add('trial.params', 'fixed', '', JSON.stringify(t.params));
    add('trial.native_ms', t.native_ms, ' ms', `RMSE ${show(t.native_rmse)}`);
    add('trial.python_ms', t.python_ms, ' ms', `RMSE ${show(t.python_rmse)}`);
    add('trial.wasm_ms', t.wasm_ms, ' ms', `RMSE ${show(t.wasm_rmse)}`);
    add('native / python', t.native_vs_python, '×', 'target ≤ 1.3×');
    add('wasm / native', t.wasm_vs_native, '×', 'target ≥ 4×');
  }
  const s = r.search;
  const reps = `median of ${show(s.repetitions)}`;
  add(
    'search.trials',
    s.trials,
    '',
    `seed ${s.seed}, ${s.engine}, early stopping ${s.early_stopping_rounds}`,
  );
  add('search.loop_ms', s.loop_ms, ' ms', `${show(s.trials_per_min.loop)} trials/min; ${reps}`);
  add('search.temporal_ms', s.temporal_ms, ' ms', `${show(s.trials_per_min.temporal)} trials/min; 1 process`);
  add(
    'search.temporal_ms_2_workers',
    s.temporal_ms_2_workers,
    ' ms',
    `${show(s.trials_per_min.temporal_2_workers)} trials/min; 2 processes`,
  );
  const foreign = s.foreign_cpu_ms as Record<string, (number | undefined)[]>;
  const cpu = s.cpu_ms as Record<string, number | undefined>;
  add('  runs: loop', '', '', `${show(s.runs_ms.loop)} ms; other processes' CPU ${show(foreign.loop)} ms`);
  add('  runs: temporal', '', '', `${show(s.runs_ms.temporal)} ms; other ${show(foreign.temporal)} ms`);
  add(
    '  runs: 2 workers',
    '',
    '',
    `${show(s.runs_ms.temporal_2_workers)} ms; other ${show(foreign.temporal_2_workers)} ms`,
  );
  add(
    '  CPU used (medians)',
    '',
    '',
    `loop ${show(cpu.loop)}, temporal ${show(cpu.temporal)}, 2 workers ${show(cpu.temporal_2_workers)} ms`,
  );
  add(
    '  history per trial',
    `${show(s.history_events_per_trial)} events`,
    '',
    `${show(s.history_bytes_per_trial)} bytes`,
  );
  add('  dev server CPU per trial', s.server_cpu_ms_per_trial, ' ms');
  add(
    '  worker CPU per trial',
    s.worker_cpu_outside_training_ms_per_trial,
    ' ms',
    'outside the training threads',
  );
  add(
    '  mean trial (engine time)',
    s.mean_trial_train_ms,
    ' ms',
    `models: ${show(s.model_mb_per_search)} MB per search`,
  );
  if (s.wasm_loop_ms !== undefined) {
    add(
      'search loop with wasm',
      s.wasm_loop_ms,
      ' ms',
      `${show(s.wasm_loop_vs_native_loop)}× the native loop`,
    );
  }
  add('overhead temporal / loop', s.overhead_ratio, '×', 'target ≤ 1.10');
  add('overhead 2 workers / loop', s.overhead_ratio_2_workers, '×');
  add(
    '  CPU-based overhead',
    `${show(s.cpu_overhead_ratio)}× / ${show(s.cpu_overhead_ratio_2_workers)}×`,
    '',
    '1 / 2 processes: all CPU per training-thread CPU, vs the loop',
  );
  add(
    '  CPU overhead, prepare + search',
    `${show(s.search_phase_cpu_overhead_ratio)}× / ${show(s.search_phase_worker_cpu_overhead_ratio)}×`,
    '',
    "with / without the dev server's CPU (target ≤ 1.05)",
  );
  add('peak RSS loop process', r.peak_rss_mb.loop_process, ' MB', 'maxRSS of the bench process');
  add('peak RSS 1 worker process', r.peak_rss_mb.temporal_1_worker, ' MB', 'VmHWM');
  add(
    'peak RSS 2 worker processes',
    r.peak_rss_mb.temporal_2_workers,
    ' MB',
    'VmHWM; the 2nd serves trials only',
  );
  for (const c of r.targets) {
    add(
      `target: ${c.name}`,
      c.met === undefined ? 'not measured' : c.met ? 'met' : 'NOT met',
      '',
      show(c.value),
    );
  }
  add('bench time', round(r.bench_ms / 1000), ' s', `load after ${m.load_after?.join(' ') ?? '–'}`);
  const widths = [0, 1].map((i) => Math.max(...rows.map((row) => row[i].length)));
  return rows
    .map((row) => [row[0].padEnd(widths[0]), row[1].padEnd(widths[1]), row[2]].join('  ').trimEnd())
    .join('\n');
}

main()
  .catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanupAll();
    // Open handles (Temporal runtime, worker threads) must not keep a finished benchmark alive.
    process.exit();
  });
