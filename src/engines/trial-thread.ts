/** Runs trials (the default export) and predictions (predictTask) inside trial-pool worker threads. */
import type { RungCutoffs } from '../contracts';
import { performance } from 'node:perf_hooks';
import type { Engine, TrainedModel } from './engine';
import { resolveEngine } from './select-engine';
import { stopsAtRung } from '../search/asha';
import { regressionMetrics } from '../evaluation/metrics';
import { mustStoreModel } from '../search/model-bound';
import type {
  ModelContributions,
  PredictTask,
  TrialOutcome,
  TrialProgress,
  TrialThreadTask,
  UnscoredTrialOutcome,
} from './trial-pool';
import type { EngineName } from '../contracts/domain';

/** Progress is throttled: enough for heartbeats, not a message per boosting round. */
const PROGRESS_INTERVAL_MS = 200;

// Loaded once per thread and reused by every trial the thread runs.
const engines = new Map<EngineName, Promise<Engine>>();

class TrialCancelledError extends Error {
  override readonly name = 'TrialCancelledError';
}

export default async function runTrialTask(
  task: TrialThreadTask,
): Promise<TrialOutcome | UnscoredTrialOutcome> {
  const { progressPort, cancel, data } = task;
  try {
    const loaded = await engineFor(task.engine);
    throwIfCancelled(cancel);

    let lastPost = Number.NEGATIVE_INFINITY;
    const curve = new RungTracker(task.pruning);
    const onProgress = (progress: TrialProgress): 'stop' | undefined => {
      throwIfCancelled(cancel);
      const verdict = curve.record(progress);
      const now = performance.now();
      if (now - lastPost >= PROGRESS_INTERVAL_MS || progress.round === progress.totalRounds || verdict) {
        progressPort.postMessage(progress);
        lastPost = now;
      }
      return verdict;
    };

    const started = performance.now();
    let model: TrainedModel | undefined;
    try {
      // Early stopping watches its own slice when the prepared set has one; the validation year only scores.
      // Fixed-round trainings (refits, one-year-ahead) skip the per-round evaluation: nothing reads it, and its
      // matrix is a copy of the rows.
      const watched = (task.earlyStoppingRounds ?? 0) > 0 || task.pruning !== undefined;
      model = loaded.train({
        train: data.train,
        trainLabels: data.trainLabels,
        ...(data.trainWeights ? { trainWeights: data.trainWeights } : {}),
        ...(watched
          ? {
              validation: data.earlyStopping ?? data.validation,
              validationLabels: data.earlyStoppingLabels ?? data.validationLabels,
            }
          : {}),
        params: task.params,
        nthread: task.nthread,
        earlyStoppingRounds: task.earlyStoppingRounds,
        onProgress,
      });
      const trainMs = performance.now() - started;
      const scored = task.score !== false;
      const predictions = scored || task.returnPredictions ? model.predict(data.validation) : undefined;
      const metrics =
        scored && predictions ? regressionMetrics(data.validationLabels, predictions) : undefined;
      const keep = metrics
        ? mustStoreModel(metrics.rmse, task.saveModelIfRmseAtMost)
        : task.saveModelIfRmseAtMost === undefined;
      const earlyStoppingRmse =
        data.earlyStopping && data.earlyStoppingLabels
          ? regressionMetrics(data.earlyStoppingLabels, model.predict(data.earlyStopping)).rmse
          : undefined;
      return {
        ...(metrics ? { metrics } : {}),
        ...(task.returnPredictions && predictions ? { predictions } : {}),
        ...(earlyStoppingRmse === undefined ? {} : { earlyStoppingRmse }),
        // A fresh, exactly sized copy: a pooled Buffer would clone its whole backing store.
        model: keep ? new Uint8Array(model.save()) : undefined,
        rounds: model.rounds,
        roundsTrained: curve.roundsTrained || model.rounds,
        pruned: curve.pruned,
        rungScores: curve.rungScores,
        bestIteration: model.bestIteration,
        trainMs,
        engine: loaded.name,
        engineVersion: loaded.version,
      };
    } finally {
      model?.free();
    }
  } finally {
    progressPort.close();
  }
}

/** Follows a trial's validation curve: its best score at each rung, and whether it must stop there. */
class RungTracker {
  best = Number.POSITIVE_INFINITY;
  roundsTrained = 0;
  pruned = false;
  readonly rungScores: number[] = [];

  constructor(private readonly rungs: RungCutoffs | undefined) {}

  record({ round, totalRounds, validationRmse }: TrialProgress): 'stop' | undefined {
    this.roundsTrained = round;
    if (validationRmse !== undefined && validationRmse < this.best) this.best = validationRmse;
    const k = this.rungScores.length;
    if (!this.rungs || validationRmse === undefined || round !== this.rungs.rounds[k]) return undefined;
    this.rungScores.push(this.best);
    // A trial whose last round is a rung has finished: nothing to save by stopping it.
    if (round >= totalRounds || !stopsAtRung(this.rungs, k, this.best)) return undefined;
    this.pruned = true;
    return 'stop';
  }
}

function throwIfCancelled(cancel: Int32Array): void {
  if (Atomics.load(cancel, 0) !== 0) throw new TrialCancelledError('Trial cancelled');
}

/** Loads the task's model in this thread, runs `use` on it, and frees it. */
async function withTaskModel<T>(task: PredictTask, use: (model: TrainedModel) => T): Promise<T> {
  const engine = await engineFor(task.engine);
  const model = engine.load(
    Buffer.from(task.model.buffer, task.model.byteOffset, task.model.byteLength),
    task.rounds,
  );
  try {
    return use(model);
  } finally {
    model.free();
  }
}

/** Named piscina task (see PREDICT_TASK_NAME). */
export function predictTask(task: PredictTask): Promise<Float32Array> {
  return withTaskModel(task, (model) => model.predict(task.x));
}

/** Named piscina task (see EXPLAIN_TASK_NAME): SHAP off the caller's event loop, which a whole validation set would block. */
export function explainTask(task: PredictTask): Promise<ModelContributions> {
  return withTaskModel(task, (model) => ({
    predictions: model.predict(task.x),
    contributions: model.contributions(task.x),
  }));
}

function engineFor(name: EngineName): Promise<Engine> {
  let engine = engines.get(name);
  if (!engine) {
    engine = resolveEngine(name);
    engines.set(name, engine);
  }
  return engine;
}
