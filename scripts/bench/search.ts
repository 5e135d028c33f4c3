/**
 * The 100-trial search three ways: a plain in-process loop over a trial pool, and trainingWorkflow on a
 * Temporal dev server served by one or more forked worker processes (scripts/bench/worker-process.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { startTraining } from '../../src/cli/training-run';
import type { AppConfig } from '../../src/config';
import { DEFAULT_SCHEMA } from '../../src/data/dataset-schema';
import { createRandomSampler } from '../../src/search/sampler';
import { createTrialPool } from '../../src/engines/trial-pool';
import type { EngineName, XGBoostParams } from '../../src/contracts/domain';
import { readTrialTable as readStoredTrialTable } from '../../src/activities/trial-table';
import { openBlobStore } from '../../src/storage/from-uri';
import type { SearchStrategy, TrainingInput, TrainingResult, TrialTableRow } from '../../src/contracts';
import { onCleanup, trackChild } from './cleanup';
import { scheduledTrialIds } from './history-trials';
import { FILE_PREFIX, preparePipelineData, type DataSource } from './data';
import type { BenchServer } from './server';
import {
  breakdownCpu,
  foreignCpuMs,
  machineCpuMs,
  procCpuMs,
  procStatusMb,
  progress,
  round,
  threadCpuMs,
  type ThreadCpuBreakdown,
} from './stats';
import type { BenchWorkerMessage, BenchWorkerOptions } from './worker-process';

export interface SearchSettings {
  trials: number;
  seed: number;
  /** Sliding window of pending trial activities (the CLI default is 16). */
  parallelism: number;
  /** Trials per activity (absent: the search's automatic size). */
  trialsPerActivity?: number;
  earlyStoppingRounds: number;
  top: number;
  engine: EngineName;
  validationYear: number;
}

/**
 * Exactly the trials of the search workflow run with BENCH_STRATEGY (random search proposes trial i from
 * (seed, i) alone, and nothing is pruned), so the loop and Temporal train the same models.
 */
export function searchPlan(seed: number, trials: number): XGBoostParams[] {
  const sampler = createRandomSampler(seed);
  return Array.from({ length: trials }, (_, i) => sampler.propose(i, []));
}

/** Orchestration overhead is measured on identical work: random proposals, no pruning. */
export const BENCH_STRATEGY: Required<SearchStrategy> = {
  sampler: 'random',
  pruning: 'none',
  reproducible: false,
};

export interface SearchRunSummary {
  ms: number;
  /** CPU other processes used during the run, and the hypervisor's steal: large values mean a disturbed run. */
  disturbance?: { foreign: number; steal: number };
  /** Trials that succeeded, and the validation RMSE of each by trial index. */
  succeeded: number;
  rmses: number[];
  bestRmse: number;
  /** Sum over the trials of the time spent training in the engine (excludes prediction, saving, queueing). */
  trainMsSum: number;
  /** Sum over the trials of the boosting rounds trained (early stopping and pruning end trials early). */
  roundsTrainedSum?: number;
}

export interface LoopRun extends SearchRunSummary {
  threads: number;
  prepMs: number;
  cpuMs: number;
  /** This process's CPU by thread role; `training` is the pool threads. */
  cpuByThreadMs: ThreadCpuBreakdown;
  /** Size of the 100 saved models: what the Temporal path writes to the artifact store. */
  modelBytes: number;
  peakRssMb: number;
}

/** In-process: prepare the data, then all trials through one trial pool, as many at once as it has threads. */
export async function loopSearch(
  source: DataSource,
  settings: SearchSettings,
  plan: XGBoostParams[],
  threads: number,
): Promise<LoopRun> {
  const files = source.files.filter((f) => f.year <= settings.validationYear);
  const pool = createTrialPool({ threads, nthreadPerTrial: 1 });
  try {
    const cpu = process.cpuUsage();
    const machine = machineCpuMs();
    const threadsBefore = threadCpuMs(process.pid);
    const started = performance.now();
    // As the pipeline prepares it (v2 features, early-stopping slice): the same trials as the Temporal run.
    const prepared = preparePipelineData(files, settings.validationYear);
    const prepMs = prepared.ms;
    const rmses: number[] = new Array<number>(plan.length);
    let trainMsSum = 0;
    let modelBytes = 0;
    let next = 0;
    let done = 0;
    const lane = async (): Promise<void> => {
      while (next < plan.length) {
        const index = next++;
        const outcome = await pool.runTrial({
          engine: settings.engine,
          params: plan[index],
          earlyStoppingRounds: settings.earlyStoppingRounds,
          data: prepared.data,
        });
        rmses[index] = outcome.metrics.rmse;
        trainMsSum += outcome.trainMs;
        modelBytes += outcome.model?.byteLength ?? 0;
        if (++done % 10 === 0) progress(`  loop: ${done}/${plan.length} trials`);
      }
    };
    await Promise.all(Array.from({ length: pool.threads }, lane));
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000;
    const cpuByThreadMs = breakdownCpu(process.pid, threadsBefore, threadCpuMs(process.pid), pool.threads);
    return {
      cpuByThreadMs,
      disturbance: foreignCpuMs(machine, machineCpuMs(), cpuMs),
      ms: round(ms),
      threads: pool.threads,
      prepMs: round(prepMs),
      succeeded: plan.length,
      rmses,
      bestRmse: Math.min(...rmses),
      trainMsSum: round(trainMsSum),
      modelBytes,
      cpuMs: round(cpuMs),
      peakRssMb: round(process.resourceUsage().maxRSS / 1024),
    };
  } finally {
    await pool.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Worker processes

interface WorkerChild {
  pid: number;
  startupMs: number;
  /** Asks the worker to shut down; resolves with its self-reported peak RSS (undefined if it had to be killed). */
  stop(): Promise<number | undefined>;
  /** Rejects if the process exits before stop() was called (a crashed worker would leave the run hanging). */
  died: Promise<never>;
}

const READY_TIMEOUT_MS = 180_000;
const STOP_TIMEOUT_MS = 30_000;
/** A 100-trial run takes well under a minute on 2 cores; this only guards against a hang. */
const RUN_TIMEOUT_MS = 30 * 60_000;

function forward(stream: NodeJS.ReadableStream | null, prefix: string): void {
  if (!stream) return;
  readline
    .createInterface({ input: stream })
    .on('line', (line) => process.stderr.write(`${prefix} ${line}\n`));
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function startWorkerProcess(name: string, options: BenchWorkerOptions): Promise<WorkerChild> {
  const child = fork(path.join(__dirname, 'worker-process.js'), [], {
    env: { ...process.env, BENCH_WORKER_OPTIONS: JSON.stringify(options) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    execArgv: [],
  });
  trackChild(child);
  forward(child.stdout, `[${name}]`);
  forward(child.stderr, `[${name}]`);
  let stoppedRss: ((mb: number) => void) | undefined;
  const stopped = new Promise<number>((resolve) => (stoppedRss = resolve));
  const ready = new Promise<{ pid: number; startupMs: number }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} not ready after ${READY_TIMEOUT_MS} ms`)),
      READY_TIMEOUT_MS,
    );
    child.on('message', (message: BenchWorkerMessage) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve(message);
      } else if (message.type === 'stopped') stoppedRss?.(message.maxRssMb);
      else if (message.type === 'failed') {
        clearTimeout(timer);
        reject(new Error(`${name} failed: ${message.error}`));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${signal ?? code}) before it was ready`));
    });
  });
  let stopping = false;
  const died = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) => {
      if (!stopping) reject(new Error(`${name} exited (${signal ?? code}) while it was needed`));
    }),
  );
  died.catch(() => undefined); // only awaited during a run
  const stop = async (): Promise<number | undefined> => {
    stopping = true;
    if (child.exitCode !== null || child.signalCode !== null) return undefined;
    if (child.connected) child.send({ type: 'stop' });
    else child.kill('SIGTERM');
    const timeout = new Promise<undefined>((resolve) =>
      setTimeout(() => resolve(undefined), STOP_TIMEOUT_MS).unref(),
    );
    const rss = await Promise.race([stopped, exited(child).then(() => undefined), timeout]);
    if (child.exitCode === null && child.signalCode === null) {
      const gone = exited(child);
      const grace = setTimeout(() => child.kill('SIGKILL'), rss === undefined ? 0 : 5_000);
      await gone;
      clearTimeout(grace);
    }
    return rss;
  };
  const unregister = onCleanup(`worker process ${name}`, async () => {
    await stop();
  });
  try {
    const info = await ready;
    return {
      ...info,
      died,
      stop: async () => {
        const rss = await stop();
        await unregister();
        return rss;
      },
    };
  } catch (err) {
    await unregister();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Temporal runs

export interface WorkerProcessReport {
  name: string;
  pid: number;
  trainingThreads: number;
  queues: 'all' | 'trials';
  startupMs: number;
  /** VmHWM from /proc/<pid>/status after the run (includes the workflow bundle built at startup). */
  peakRssMb?: number;
  /** VmRSS after the run. */
  rssAfterRunMb?: number;
  /** process.resourceUsage().maxRSS as the worker reported it when stopping. */
  reportedMaxRssMb?: number;
  /** CPU time the process used during the run (all threads). */
  cpuMs?: number;
  /** The same CPU split by thread role (see stats.ts breakdownCpu). */
  cpuByThreadMs?: ThreadCpuBreakdown;
  /** Trials this process ran (by counting the activity-started events' identities). */
  trials?: number;
}

export interface TemporalRun extends SearchRunSummary {
  label: string;
  workflowId: string;
  workers: WorkerProcessReport[];
  failures: number;
  championVersion?: number;
  /** From the training workflow's history: how the wall time splits. */
  phasesMs: {
    prepare?: number;
    search?: number;
    /**
     * The members' one-year-ahead trainings and refits (oneYearAheadMember, refitMember activities) through the
     * final model (finalizeModel).
     */
    finalize?: number;
    /** The last trial activity's completion after the one before it (see searchTailSpan). */
    searchTail?: number;
    /** The finalizeModel activity alone (the interval calibration, the ensemble's own scores). */
    finalizeModel?: number;
    register?: number;
    report?: number;
    /** From the search child's completion to the training workflow's: everything after the search. */
    afterSearch?: number;
  };
  history: { trainingEvents: number; searchEvents: number; searchBytes: number };
  /** JSON size of the workflow result (it lists every successful trial; payloads fail at 2 MiB). */
  resultBytes: number;
  /** CPU the dev server (temporal CLI) used during the run. */
  serverCpuMs?: number;
  /** CPU this (client) process used during the run. */
  clientCpuMs: number;
  /**
   * CPU from the start until the search child workflow completed (prepare + search, the work the loop
   * does), leaving out registration and the run report that the training workflow runs after it.
   */
  searchPhase?: {
    ms: number;
    serverCpuMs?: number;
    workers: { cpuMs?: number; cpuByThreadMs?: ThreadCpuBreakdown }[];
  };
}

export interface TemporalSearchOptions {
  label: string;
  source: DataSource;
  settings: SearchSettings;
  /** One entry per worker process; the first one also serves the main queue. */
  processes: { trainingThreads: number }[];
  /** Runs after the training run, while its workers still poll (e.g. a batch prediction with its model). */
  afterRun?: (run: { config: AppConfig; result: TrainingResult; workerPids: number[] }) => Promise<void>;
  /** Training settings over the benchmark's (e.g. the CLI's default strategy, refit and ensemble). */
  training?: Partial<TrainingInput>;
}

type History = temporal.api.history.v1.IHistory;
const EventType = temporal.api.enums.v1.EventType;

function activitySpan(history: History, activity: string): number | undefined {
  const events = history.events ?? [];
  const scheduled = events.find(
    (e) =>
      e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED &&
      e.activityTaskScheduledEventAttributes?.activityType?.name === activity,
  );
  if (!scheduled) return undefined;
  const completed = events.find(
    (e) =>
      e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED &&
      Number(e.activityTaskCompletedEventAttributes?.scheduledEventId) === Number(scheduled.eventId),
  );
  return completed ? tsToMs(completed.eventTime) - tsToMs(scheduled.eventTime) : undefined;
}

/**
 * From the first activity of the `first` types scheduled (or of `last` when there is none) to the last of the
 * `last` type completed.
 */
function activitiesSpan(history: History, first: string[], last: string): number | undefined {
  const events = history.events ?? [];
  const scheduled = (name: string) =>
    events.filter(
      (e) =>
        e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED &&
        e.activityTaskScheduledEventAttributes?.activityType?.name === name,
    );
  const start =
    first
      .map((name) => scheduled(name)[0])
      .filter((e) => e !== undefined)
      .sort((a, b) => Number(a.eventId) - Number(b.eventId))[0] ?? scheduled(last)[0];
  const ends = new Set(scheduled(last).map((e) => Number(e.eventId)));
  const completed = events.filter(
    (e) =>
      e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED &&
      ends.has(Number(e.activityTaskCompletedEventAttributes?.scheduledEventId)),
  );
  const end = completed[completed.length - 1];
  return start && end ? tsToMs(end.eventTime) - tsToMs(start.eventTime) : undefined;
}

/**
 * The search's tail: from the next-to-last trial activity's completion to the last one's, the time a slot of
 * a two-slot worker has nothing left to run before the search ends (work after the search could overlap it).
 */
function searchTailSpan(searchHistory: History): number | undefined {
  const events = searchHistory.events ?? [];
  const trialActivities = new Set(
    events
      .filter(
        (e) =>
          e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED &&
          ['runTrial', 'runTrialBatch'].includes(
            e.activityTaskScheduledEventAttributes?.activityType?.name ?? '',
          ),
      )
      .map((e) => Number(e.eventId)),
  );
  const done = events
    .filter(
      (e) =>
        e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED &&
        trialActivities.has(Number(e.activityTaskCompletedEventAttributes?.scheduledEventId)),
    )
    .map((e) => tsToMs(e.eventTime));
  return done.length >= 2 ? done[done.length - 1] - done[done.length - 2] : undefined;
}

function afterSearchSpan(history: History): number | undefined {
  const events = history.events ?? [];
  const child = events.find((e) => e.eventType === EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED);
  const done = events.find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
  return child && done ? tsToMs(done.eventTime) - tsToMs(child.eventTime) : undefined;
}

function childSpan(history: History): number | undefined {
  const events = history.events ?? [];
  const initiated = events.find(
    (e) => e.eventType === EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
  );
  const completed = events.find(
    (e) => e.eventType === EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
  );
  return initiated && completed ? tsToMs(completed.eventTime) - tsToMs(initiated.eventTime) : undefined;
}

/** Worker identity of each started trial activity: tells how the trials spread over the processes. */
function trialsByIdentity(history: History): Map<string, number> {
  const counts = new Map<string, number>();
  // Only trials: the search also runs appendTrialTable activities (on the main queue).
  // Trials per scheduled trial activity (several in a runTrialBatch).
  const trials = new Map<number, number>();
  for (const e of history.events ?? []) {
    const ids = scheduledTrialIds(e);
    if (ids) trials.set(Number(e.eventId), ids.length);
    if (e.eventType !== EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED) continue;
    const n = trials.get(Number(e.activityTaskStartedEventAttributes?.scheduledEventId));
    if (n === undefined) continue;
    const identity = e.activityTaskStartedEventAttributes?.identity ?? '';
    counts.set(identity, (counts.get(identity) ?? 0) + n);
  }
  return counts;
}

export async function temporalSearch(
  server: BenchServer,
  options: TemporalSearchOptions,
): Promise<TemporalRun> {
  const { settings, source, label } = options;
  const artifactsDir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-artifacts-${label}-`));
  const removeArtifacts = onCleanup(`artifacts ${artifactsDir}`, () =>
    fs.rmSync(artifactsDir, { recursive: true, force: true }),
  );
  const suffix = `${label}-${Date.now().toString(36)}`;
  const config: AppConfig = {
    temporalAddress: server.address,
    namespace: 'default',
    taskQueue: `bench-main-${suffix}`,
    trialTaskQueue: `bench-trials-${suffix}`,
    dataUri: pathToFileURL(source.dir).href,
    artifactsUri: pathToFileURL(artifactsDir).href,
    s3: { forcePathStyle: true },
    xgboostEngine: 'auto',
  };
  const workers: (WorkerChild & { report: WorkerProcessReport })[] = [];
  try {
    progress(`${label}: starting ${options.processes.length} worker process(es)`);
    await Promise.all(
      options.processes.map(async ({ trainingThreads }, i) => {
        const name = `${label}-w${i + 1}`;
        const serveMain = i === 0;
        const child = await startWorkerProcess(name, { config, trainingThreads, serveMain });
        const report: WorkerProcessReport = {
          name,
          pid: child.pid,
          trainingThreads,
          queues: serveMain ? 'all' : 'trials',
          startupMs: round(child.startupMs),
        };
        workers[i] = { ...child, report };
      }),
    );

    const input: TrainingInput = {
      modelName: 'bench-traffic',
      dataUri: config.dataUri,
      filePrefix: FILE_PREFIX,
      years: source.files.map((f) => f.year).filter((y) => y <= settings.validationYear),
      validationYear: settings.validationYear,
      schema: DEFAULT_SCHEMA,
      trials: settings.trials,
      top: settings.top,
      parallelism: settings.parallelism,
      ...(settings.trialsPerActivity === undefined ? {} : { trialsPerActivity: settings.trialsPerActivity }),
      seed: settings.seed,
      engine: settings.engine,
      earlyStoppingRounds: settings.earlyStoppingRounds,
      strategy: BENCH_STRATEGY,
      runFineTuning: true,
      registerModels: true,
      trigger: 'ad-hoc',
      ...options.training,
    };
    const serverCpu = procCpuMs(server.pid);
    const workerCpu = workers.map((w) => procCpuMs(w.pid));
    const workerThreads = workers.map((w) => threadCpuMs(w.pid));
    const clientCpu = process.cpuUsage();
    const machine = machineCpuMs();
    progress(`${label}: trainingWorkflow with ${settings.trials} trials`);
    const t0 = performance.now();
    const handle = await startTraining(server.client, config, input, `bench-${suffix}`);
    const searchPhase = (async (): Promise<TemporalRun['searchPhase']> => {
      const child = server.client.workflow.getHandle(`${handle.workflowId}-search`);
      // Until prepare has finished the child does not exist; then one long poll for its result.
      for (;;) {
        try {
          await child.describe();
          break;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
      await child.result();
      const after = procCpuMs(server.pid);
      return {
        ms: round(performance.now() - t0),
        serverCpuMs: serverCpu === undefined || after === undefined ? undefined : round(after - serverCpu),
        workers: workers.map((w, i) => {
          const before = workerCpu[i];
          const now = procCpuMs(w.pid);
          return {
            cpuMs: before === undefined || now === undefined ? undefined : round(now - before),
            cpuByThreadMs: breakdownCpu(
              w.pid,
              workerThreads[i],
              threadCpuMs(w.pid),
              w.report.trainingThreads,
            ),
          };
        }),
      };
    })().catch(() => undefined);
    const ticker = setInterval(
      () => progress(`  ${label}: ${((performance.now() - t0) / 1000).toFixed(0)} s`),
      30_000,
    );
    let result: TrainingResult;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${label}: no result after ${RUN_TIMEOUT_MS} ms`)),
          RUN_TIMEOUT_MS,
        );
      });
      result = await Promise.race([handle.result(), timeout, ...workers.map((w) => w.died)]);
    } finally {
      clearInterval(ticker);
      clearTimeout(timer);
    }
    const ms = performance.now() - t0;
    const clientUsed = process.cpuUsage(clientCpu);
    const machineAfter = machineCpuMs();
    const serverCpuAfter = procCpuMs(server.pid);
    const serverCpuMs =
      serverCpu === undefined || serverCpuAfter === undefined ? undefined : serverCpuAfter - serverCpu;
    workers.forEach((w, i) => {
      const before = workerCpu[i];
      const after = procCpuMs(w.pid);
      w.report.cpuMs = before === undefined || after === undefined ? undefined : round(after - before);
      w.report.cpuByThreadMs = breakdownCpu(
        w.pid,
        workerThreads[i],
        threadCpuMs(w.pid),
        w.report.trainingThreads,
      );
      w.report.peakRssMb = procStatusMb(w.pid, 'VmHWM');
      w.report.rssAfterRunMb = procStatusMb(w.pid, 'VmRSS');
    });

    const searchPhaseCpu = await searchPhase;
    await options.afterRun?.({ config, result, workerPids: workers.map((w) => w.pid) });
    const trainingHistory = await handle.fetchHistory();
    const searchHistory = await server.client.workflow
      .getHandle(`${handle.workflowId}-search`)
      .fetchHistory();
    const byIdentity = trialsByIdentity(searchHistory);
    for (const w of workers) {
      // createWorkers leaves the SDK's default identity, `${pid}@${hostname}`.
      w.report.trials = [...byIdentity]
        .filter(([id]) => id.startsWith(`${w.pid}@`))
        .reduce((s, [, n]) => s + n, 0);
    }

    const leaderboard = result.search?.leaderboard ?? [];
    const table = await readTrialTable(config, result.search?.trialTableRef);
    const rmses = new Array<number>(settings.trials).fill(Number.NaN);
    for (const t of table) if (t.metrics) rmses[t.index] = t.metrics.rmse;
    return {
      label,
      workflowId: handle.workflowId,
      ms: round(ms),
      succeeded: table.filter((t) => t.status !== 'failed').length,
      failures: table.filter((t) => t.status === 'failed').length,
      rmses,
      bestRmse: leaderboard[0]?.metrics.rmse ?? Number.NaN,
      trainMsSum: table.reduce((s, t) => s + (t.trainMs ?? 0), 0),
      roundsTrainedSum: table.reduce((s, t) => s + (t.roundsTrained ?? 0), 0),
      championVersion: result.registration?.champion.championVersion,
      phasesMs: {
        prepare: activitySpan(trainingHistory, 'prepareDataset'),
        search: childSpan(trainingHistory),
        searchTail: searchTailSpan(searchHistory),
        finalize: activitiesSpan(trainingHistory, ['oneYearAheadMember', 'refitMember'], 'finalizeModel'),
        finalizeModel: activitySpan(trainingHistory, 'finalizeModel'),
        register: activitySpan(trainingHistory, 'registerModels'),
        report: activitySpan(trainingHistory, 'buildRunReport'),
        afterSearch: afterSearchSpan(trainingHistory),
      },
      history: {
        trainingEvents: trainingHistory.events?.length ?? 0,
        searchEvents: searchHistory.events?.length ?? 0,
        searchBytes: temporal.api.history.v1.History.encode(searchHistory).finish().length,
      },
      resultBytes: Buffer.byteLength(JSON.stringify(result)),
      disturbance: foreignCpuMs(
        machine,
        machineAfter,
        workers.reduce((sum, w) => sum + (w.report.cpuMs ?? 0), 0) +
          (serverCpuMs ?? 0) +
          (clientUsed.user + clientUsed.system) / 1000,
      ),
      serverCpuMs: serverCpuMs === undefined ? undefined : round(serverCpuMs),
      clientCpuMs: round((clientUsed.user + clientUsed.system) / 1000),
      searchPhase: searchPhaseCpu,
      workers: workers.map((w) => w.report),
    };
  } finally {
    for (const w of workers.filter(Boolean)) {
      const rss = await w.stop();
      if (rss !== undefined) w.report.reportedMaxRssMb = round(rss);
    }
    await removeArtifacts();
  }
}

/** Every trial of a search, from the trial table it stored. */
async function readTrialTable(config: AppConfig, ref: string | undefined): Promise<TrialTableRow[]> {
  if (!ref) throw new Error('the search stored no trial table');
  return readStoredTrialTable(openBlobStore(config.artifactsUri, config.s3), ref);
}
