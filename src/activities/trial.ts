import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { resolveEngineName } from '../engines/select-engine';
import { validateParams } from '../search/params';
import type { TrialPool } from '../engines/trial-pool';
import type { BlobStore } from '../storage/blob-store';
import type { RunTrialInput, TrialResult } from '../contracts';
import { recencyWeightsFor } from './recency';
import { storeModel } from './store-model';
import { inTrialSlot } from './trial-slot';
import type { DatasetCache } from './dataset-cache';
import { PreparedDatasetFormatError } from '../features/prepared-dataset';
import { BlobNotFoundError } from '../storage/blob-store';
import { isTransientStoreError } from '../storage/transient-errors';
import { WORKER_SHUTDOWN_FAILURE } from '../contracts';
import { infrastructureFault, nonRetryable } from './errors';

export interface TrialDeps {
  artifacts: BlobStore;
  datasets: DatasetCache;
  pool: TrialPool;
}

/**
 * Attempts a trial gets for a failure that is neither bad input nor an infrastructure fault (say, a
 * training thread that crashed): from this attempt on such a failure is final. Infrastructure faults are
 * retried for as long as the workflow's retry policy allows (its infrastructure retry window).
 */
const TRIAL_FAILURE_ATTEMPTS = 3;

export { WORKER_SHUTDOWN_FAILURE };

/** What runs one trial needs from the activity around it: the trial's attempt number and a heartbeat. */
export interface TrialAttemptContext {
  /** 1 for the trial's first attempt. */
  attempt: number;
  heartbeat(details: Record<string, unknown>): void;
}

/** One hyperparameter trial: train on the prepared set in a training thread, score on validation, store the model. */
export async function runTrialWith(deps: TrialDeps, input: RunTrialInput): Promise<TrialResult> {
  const ctx = Context.current();
  return runTrialAs(deps, input, { attempt: ctx.info.attempt, heartbeat: (d) => ctx.heartbeat(d) });
}

/**
 * One trial as attempt `trial.attempt`: a failure that is neither bad input nor an infrastructure fault
 * becomes final (`TrialFailed`) from attempt TRIAL_FAILURE_ATTEMPTS on. Used by runTrial (one trial per
 * activity) and by runTrialBatch (src/activities/trial-batch.ts), which counts each trial's attempts itself.
 */
export async function runTrialAs(
  deps: TrialDeps,
  input: RunTrialInput,
  trial: TrialAttemptContext,
): Promise<TrialResult> {
  try {
    return await runTrialAttempt(deps, input, trial);
  } catch (err) {
    const { attempt } = trial;
    if (
      err instanceof ApplicationFailure ||
      err instanceof CancelledFailure ||
      attempt < TRIAL_FAILURE_ATTEMPTS
    ) {
      throw err;
    }
    const message = err instanceof Error ? err.message : String(err);
    throw nonRetryable('TrialFailed', `${input.trialId} failed on attempt ${attempt}: ${message}`);
  }
}

async function runTrialAttempt(
  deps: TrialDeps,
  input: RunTrialInput,
  trial: TrialAttemptContext,
): Promise<TrialResult> {
  let params;
  try {
    params = validateParams(input.params);
  } catch (err) {
    throw nonRetryable('InvalidParams', `${input.trialId}: ${(err as Error).message}`);
  }
  let engine;
  try {
    engine = resolveEngineName(input.engine);
  } catch (err) {
    throw nonRetryable('InvalidInput', (err as Error).message);
  }
  return inTrialSlot(
    `trial ${input.trialId}`,
    { trialId: input.trialId, step: 'loading', engine },
    async ({ signal, progress }) => {
      const dataset = await deps.datasets
        .get(input.datasetHash, input.datasetRef)
        .catch((err: unknown) => Promise.reject(classifyDatasetError(input, err)));
      const trainWeights = await recencyWeightsFor(deps.artifacts, input, 'train', dataset.train.rows);
      if (trainWeights && engine === 'wasm') {
        throw nonRetryable(
          'InvalidInput',
          'recency weights need the native engine (the wasm engine has none): install libxgboost0 on this worker, or train with --recency-half-life off',
        );
      }
      progress({ trialId: input.trialId, step: 'training', engine });
      const outcome = await deps.pool.runTrial(
        {
          engine,
          params,
          earlyStoppingRounds: input.earlyStoppingRounds,
          data: trainWeights ? { ...dataset, trainWeights } : dataset,
          pruning: input.pruning,
          saveModelIfRmseAtMost: input.storeModelIfRmseAtMost,
        },
        { signal, onProgress: (p) => progress({ trialId: input.trialId, step: 'training', engine, ...p }) },
      );
      const modelRef =
        outcome.model &&
        (await storeTrialModel(deps.artifacts, outcome.model, outcome.engine, input.trialId));
      const result: TrialResult = {
        trialId: input.trialId,
        params,
        metrics: outcome.metrics,
        ...(outcome.earlyStoppingRmse === undefined ? {} : { earlyStoppingRmse: outcome.earlyStoppingRmse }),
        trainMs: Math.round(outcome.trainMs),
        modelRef,
        rounds: outcome.rounds,
        engine: outcome.engine,
        engineVersion: outcome.engineVersion,
        roundsTrained: outcome.roundsTrained,
      };
      if (outcome.pruned) result.pruned = true;
      if (outcome.rungScores.length > 0) {
        result.rungScores = outcome.rungScores;
        if (input.pruning) result.rungRounds = input.pruning.rounds.slice(0, outcome.rungScores.length);
      }
      return result;
    },
    (details) => trial.heartbeat(details),
  );
}

/** A missing or unreadable prepared set never heals; an unreachable store does. */
function classifyDatasetError(input: RunTrialInput, err: unknown): unknown {
  const message = `${input.trialId}: loading data set ${input.datasetRef}: ${(err as Error).message}`;
  if (err instanceof BlobNotFoundError || err instanceof PreparedDatasetFormatError) {
    return nonRetryable('DatasetError', message);
  }
  return isTransientStoreError(err) ? infrastructureFault(message, err) : err;
}

/** Stores the model; an unreachable store is an infrastructure fault the search retries. */
async function storeTrialModel(
  artifacts: BlobStore,
  model: Uint8Array,
  engine: string,
  trialId: string,
): Promise<string> {
  try {
    return await storeModel(artifacts, model, engine);
  } catch (err) {
    throw isTransientStoreError(err)
      ? infrastructureFault(`${trialId}: storing the model: ${(err as Error).message}`, err)
      : err;
  }
}
