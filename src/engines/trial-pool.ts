/**
 * A pool of worker threads that train trials, so the caller's event loop stays free to heartbeat.
 *
 * Data sets live in SharedArrayBuffers: every thread reads the same memory, nothing is copied per trial.
 * Cancellation is cooperative first (a shared flag the thread checks every boosting round, so native memory is
 * freed), then forced: if the thread has not stopped after a grace period (the wasm engine cannot be
 * interrupted), piscina terminates it.
 */
import type { DenseMatrix, RungCutoffs } from '../contracts';
import os from 'node:os';
import path from 'node:path';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { TrialMatrices } from '../features/prepared-dataset';
import type { EngineName, RegressionMetrics, XGBoostParams } from '../contracts/domain';

/** Train and validation sets whose arrays are backed by SharedArrayBuffers (see shareTrialData). */
export type SharedTrialData = TrialMatrices;

export interface TrialTask {
  engine: EngineName;
  params: XGBoostParams;
  earlyStoppingRounds?: number;
  data: SharedTrialData;
  /** ASHA rungs: the trial stops cleanly at a rung where its best validation RMSE exceeds the cut-off. */
  pruning?: RungCutoffs;
  /** Save the model only when its validation RMSE is at most this (it can still reach the top N); absent: always. */
  saveModelIfRmseAtMost?: number;
  /** Return the model's predictions of the validation rows (TrialOutcome.predictions). */
  returnPredictions?: boolean;
  /**
   * false: no validation metrics (a refit has trained on the validation rows, so nobody reads them), and no
   * prediction of the validation rows unless returnPredictions asks; the model is stored unless
   * saveModelIfRmseAtMost is given. Default true.
   */
  score?: boolean;
}

export interface TrialProgress {
  round: number;
  totalRounds: number;
  validationRmse?: number;
}

export interface TrialOutcome extends UnscoredTrialOutcome {
  /** On the validation set, predicted in one batch. */
  metrics: RegressionMetrics;
}

/** The outcome of a task with `score: false`: a TrialOutcome without metrics. */
export interface UnscoredTrialOutcome {
  /** Those predictions, one per validation row, when the task asked for them. */
  predictions?: Float32Array;
  /** RMSE on the early-stopping slice, when the data have one. */
  earlyStoppingRmse?: number;
  /** The engine's saved model (native: XGBoost JSON); absent when saveModelIfRmseAtMost ruled it out. */
  model?: Uint8Array;
  /** Boosting rounds the model predicts with. */
  rounds: number;
  /** Boosting rounds trained (≥ rounds: early stopping trains past the best iteration). */
  roundsTrained: number;
  /** Stopped at an ASHA rung. */
  pruned: boolean;
  /** Best validation RMSE within each rung's rounds, for the rungs the trial reached. */
  rungScores: number[];
  bestIteration?: number;
  trainMs: number;
  engine: EngineName;
  engineVersion: string;
}

export interface RunTrialOptions {
  signal?: AbortSignal;
  onProgress?: (progress: TrialProgress) => void;
}

/** Scoring rows with a saved model; runs in a pool thread because the wasm engine must not load in the caller's. */
export interface PredictTask {
  engine: EngineName;
  model: Uint8Array;
  /** Limits prediction to the first rounds (see Engine.load). */
  rounds?: number;
  x: DenseMatrix;
}

export interface ModelContributions {
  predictions: Float32Array;
  contributions: Float32Array;
}

export interface TrialPool {
  /** Worker threads, each running one trial at a time. */
  readonly threads: number;
  /** XGBoost threads per trial; threads x nthreadPerTrial never exceeds the cores. */
  readonly nthreadPerTrial: number;
  /** Rejects with `signal.reason` when aborted. */
  runTrial(task: TrialTask & { score: false }, options?: RunTrialOptions): Promise<UnscoredTrialOutcome>;
  runTrial(task: TrialTask, options?: RunTrialOptions): Promise<TrialOutcome>;
  /** Batch prediction with a saved model, one value per row of `x`. */
  predict(task: PredictTask): Promise<Float32Array>;
  /** Predictions and exact SHAP contributions (rows x (cols + 1), bias last) of a saved native model. */
  explain(task: PredictTask): Promise<ModelContributions>;
  /** Waits for running trials, then stops the threads. */
  close(): Promise<void>;
}

export interface TrialPoolOptions {
  /** Default: as many as the cores allow at nthreadPerTrial. */
  threads?: number;
  /** Default 1: parallel single-threaded trials finish more trials per minute than multi-threaded ones. */
  nthreadPerTrial?: number;
  /** Default: os.availableParallelism(). */
  cores?: number;
}

/** What the pool sends to trial-thread.ts. */
export interface TrialThreadTask extends TrialTask {
  nthread: number;
  progressPort: MessagePort;
  /** Int32Array(1) on a SharedArrayBuffer; non-zero asks the thread to stop. */
  cancel: Int32Array;
}

export type TrialThreadMessage = TrialProgress;

/** The trial-thread.ts export that serves predict(). */
export const PREDICT_TASK_NAME = 'predictTask';
/** The trial-thread.ts export that serves explain(). */
export const EXPLAIN_TASK_NAME = 'explainTask';

/** How long a cancelled trial may take to stop by itself before its thread is terminated. */
const CANCEL_GRACE_MS = 2_000;

export function createTrialPool(options: TrialPoolOptions = {}): TrialPool {
  const cores = Math.max(1, options.cores ?? os.availableParallelism());
  const nthreadPerTrial = Math.min(positive(options.nthreadPerTrial ?? 1, 'nthreadPerTrial'), cores);
  const fit = Math.max(1, Math.floor(cores / nthreadPerTrial));
  const threads = Math.min(positive(options.threads ?? fit, 'threads'), fit);
  const pool = new Piscina({
    filename: path.resolve(__dirname, 'trial-thread.js'),
    minThreads: threads,
    maxThreads: threads,
    concurrentTasksPerWorker: 1,
    // Threads keep their loaded engine; never retire idle ones.
    idleTimeout: Number.MAX_SAFE_INTEGER,
  });
  const shared = new WeakMap<SharedTrialData, SharedTrialData>();

  function sharedData(data: SharedTrialData): SharedTrialData {
    let result = shared.get(data);
    if (!result) {
      result = shareTrialData(data);
      shared.set(data, result);
    }
    return result;
  }

  async function runTrial(
    task: TrialTask,
    { signal, onProgress }: RunTrialOptions = {},
  ): Promise<TrialOutcome | UnscoredTrialOutcome> {
    signal?.throwIfAborted();
    const channel = new MessageChannel();
    const cancel = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
    const force = new AbortController();
    let forceTimer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      Atomics.store(cancel, 0, 1);
      forceTimer = setTimeout(() => force.abort(signal?.reason), CANCEL_GRACE_MS);
    };
    const deliver = (progress: TrialThreadMessage): void => onProgress?.(progress);
    channel.port1.on('message', deliver);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const threadTask: TrialThreadTask = {
        ...task,
        data: sharedData(task.data),
        nthread: nthreadPerTrial,
        progressPort: channel.port2,
        cancel,
      };
      // piscina's TransferList type resolves to the wrong postMessage overload with current @types/node.
      const transferList = [channel.port2] as never;
      const outcome: TrialOutcome | UnscoredTrialOutcome = await pool.run(threadTask, {
        transferList,
        signal: force.signal,
      });
      // A trial that finished while being cancelled still counts as cancelled.
      signal?.throwIfAborted();
      return outcome;
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      clearTimeout(forceTimer);
      // The thread posts progress before returning; whatever is still queued is delivered before closing.
      for (
        let queued = receiveMessageOnPort(channel.port1);
        queued;
        queued = receiveMessageOnPort(channel.port1)
      ) {
        deliver(queued.message as TrialThreadMessage);
      }
      channel.port1.close();
    }
  }

  return {
    threads,
    nthreadPerTrial,
    // score: false gives an UnscoredTrialOutcome, anything else a TrialOutcome (see trial-thread.ts).
    runTrial: runTrial as TrialPool['runTrial'],
    predict: (task) => pool.run(task, { name: PREDICT_TASK_NAME }) as Promise<Float32Array>,
    explain: (task) => pool.run(task, { name: EXPLAIN_TASK_NAME }) as Promise<ModelContributions>,
    close: () => pool.close(),
  };
}

/** Returns `data` with every array in a SharedArrayBuffer, copying (once) only those that are not. */
export function shareTrialData(data: SharedTrialData): SharedTrialData {
  return {
    train: { ...data.train, data: toShared(data.train.data) },
    trainLabels: toShared(data.trainLabels),
    ...(data.trainWeights ? { trainWeights: toShared(data.trainWeights) } : {}),
    validation: { ...data.validation, data: toShared(data.validation.data) },
    validationLabels: toShared(data.validationLabels),
    ...(data.earlyStopping && data.earlyStoppingLabels
      ? {
          earlyStopping: { ...data.earlyStopping, data: toShared(data.earlyStopping.data) },
          earlyStoppingLabels: toShared(data.earlyStoppingLabels),
        }
      : {}),
  };
}

function toShared(array: Float32Array): Float32Array {
  if (array.buffer instanceof SharedArrayBuffer) return array;
  const copy = new Float32Array(new SharedArrayBuffer(array.byteLength));
  copy.set(array);
  return copy;
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${name} must be a positive integer (got ${value})`);
  return value;
}
