import os from 'node:os';
import type { Duration } from '@temporalio/common';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { AppConfig } from '../config';
import type { WorkerMetrics } from '../metrics/worker-metrics';
import { createTrialPool, type TrialPool } from '../engines/trial-pool';
import { ModelRegistry } from '../registry/model-registry';
import { createChartPool, type ChartPool } from '../report/chart-pool';
import { openBlobStore } from '../storage/from-uri';
import { connectWorker } from './temporal-connection';
import { workflowBundle } from './workflow-bundle';

export interface WorkerPoolOptions {
  config: AppConfig;
  /** Training threads of this process (and trial slots on the trial queue); default: usable cores. */
  trainingThreads?: number;
  /** XGBoost threads per trial; threads × this never exceeds the cores. */
  nthreadPerTrial?: number;
  /** Workflow tasks and light activities this process runs at once. */
  maxConcurrentActivities?: number;
  /** Serve the trial queue (default true) and the main queue (default true). */
  serveTrials?: boolean;
  serveMain?: boolean;
  connection?: NativeConnection;
  /** The pipeline's own metrics (trials, data-set cache, registry versions); none when absent. */
  metrics?: WorkerMetrics;
  /** How long a stopping worker lets in-flight tasks (trials) finish before cancelling them; default 30 minutes. */
  shutdownGraceTime?: Duration;
}

/**
 * A check is a daily, restartable run: any error thrown by its workflow code fails it with the reason instead
 * of retrying the workflow task forever (with overlap SKIP that would block the schedule). A backtest is
 * started by hand and waited on: an error in its workflow code fails it too, so the caller gets the reason.
 */
export const WORKFLOW_FAILURE_ERROR_TYPES = {
  '*': [],
  retrainCheckWorkflow: ['Error'],
  backtestWorkflow: ['Error'],
};

/** A report has eight charts at most; more threads than this would sit idle. */
const MAX_CHART_THREADS = 4;

export interface RunningWorkers {
  workers: Worker[];
  pool: TrialPool;
  /** The main-queue worker's own thread for predict, champion re-scoring and drift (none without the main queue). */
  scoringPool?: TrialPool;
  trainingThreads: number;
  /** Resolves when the run reports' chart threads have loaded and warmed up (at once without the main queue). */
  chartsReady(): Promise<void>;
  /** Resolves when every worker has stopped (after shutdown() or a signal). */
  run(): Promise<void>;
  shutdown(): void;
  /** Ok while every worker polls; the detail lists each task queue's worker state. */
  health(): { ok: boolean; detail: string };
}

/**
 * One worker process: a Worker on the main queue (workflows, prepare/register/predict) and one on the
 * trial queue (trials and refits) whose activity slots equal the training threads, so it never accepts more trials
 * than it can run.
 */
export async function createWorkers(options: WorkerPoolOptions): Promise<RunningWorkers> {
  const { config } = options;
  const shutdownGraceTime = options.shutdownGraceTime ?? '30 minutes';
  const cores = os.availableParallelism();
  const nthreadPerTrial = Math.max(1, options.nthreadPerTrial ?? 1);
  const trainingThreads = Math.max(1, options.trainingThreads ?? Math.floor(cores / nthreadPerTrial));
  const connection = options.connection ?? (await connectWorker(config));
  const artifacts = openBlobStore(config.artifactsUri, config.s3);
  const pool = createTrialPool({ threads: trainingThreads, nthreadPerTrial });
  const serveMain = options.serveMain ?? true;
  // One thread of its own for predict, champion re-scoring and drift: never queued behind 30-minute trials.
  const scoringPool = serveMain ? createTrialPool({ threads: 1 }) : undefined;
  // This worker builds the run reports: their charts render on threads of their own, whose chart libraries
  // load and warm up now, not in the first report.
  const chartPool: ChartPool | undefined = serveMain
    ? createChartPool({ threads: Math.min(cores, MAX_CHART_THREADS) })
    : undefined;
  const activities = createActivities({
    artifacts,
    registry: new ModelRegistry(artifacts),
    openDataStore: (uri) => openBlobStore(uri, config.s3),
    pool,
    metrics: options.metrics,
    scoringPool,
    renderChart: chartPool?.render,
  });

  const workers: Worker[] = [];
  if (serveMain) {
    const {
      runTrial: _trialsRunOnTheirOwnQueue,
      runTrialBatch: _batchesToo,
      refitMember: _refitsToo,
      oneYearAheadMember: _calibrationTrainingsToo,
      ...light
    } = activities;
    workers.push(
      await Worker.create({
        connection,
        namespace: config.namespace,
        taskQueue: config.taskQueue,
        workflowBundle: await workflowBundle(),
        activities: light,
        maxConcurrentActivityTaskExecutions: options.maxConcurrentActivities ?? 8,
        shutdownGraceTime,
        workflowFailureErrorTypes: WORKFLOW_FAILURE_ERROR_TYPES,
      }),
    );
  }
  if (options.serveTrials ?? true) {
    workers.push(
      await Worker.create({
        connection,
        namespace: config.namespace,
        taskQueue: config.trialTaskQueue,
        // Refits of ensemble members and their one-year-ahead trainings are trial-sized: the same slots, threads
        // and heartbeats.
        activities: {
          runTrial: activities.runTrial,
          runTrialBatch: activities.runTrialBatch,
          refitMember: activities.refitMember,
          oneYearAheadMember: activities.oneYearAheadMember,
        },
        maxConcurrentActivityTaskExecutions: trainingThreads,
        // A trial batch heartbeats each finished trial; sent within a second (not 80 % of the heartbeat
        // timeout), a crash re-runs at most the trials finished in the last second.
        maxHeartbeatThrottleInterval: '1 second',
        // SIGINT/SIGTERM: in-flight trials get this long to finish before they are cancelled.
        shutdownGraceTime,
      }),
    );
  }
  return {
    workers,
    pool,
    scoringPool,
    trainingThreads,
    chartsReady: async () => {
      await chartPool?.ready();
    },
    async run() {
      try {
        await Promise.all(workers.map((w) => w.run()));
      } finally {
        await pool.close();
        await scoringPool?.close();
        await chartPool?.close();
        if (!options.connection) await connection.close();
      }
    },
    shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    },
    health() {
      return {
        ok: workers.every((w) => w.getState() === 'RUNNING'),
        detail: workers.map((w) => `${w.options.taskQueue}: ${w.getState()}`).join(', '),
      };
    },
  };
}
