import { createHash } from 'node:crypto';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { resolveEngineName } from '../ml/engines/select-engine';
import { validateParams } from '../ml/params';
import type { TrialPool } from '../ml/trial-pool';
import type { BlobStore } from '../storage/blob-store';
import type { RunTrialInput, TrialResult } from '../workflows/types';
import { artifactKeys } from './artifact-keys';
import type { DatasetCache } from './dataset-cache';
import { nonRetryable } from './errors';

export interface TrialDeps {
  artifacts: BlobStore;
  datasets: DatasetCache;
  pool: TrialPool;
}

const HEARTBEAT_EVERY_MS = 5_000;

/** The failure type of a trial cut short by its worker's own shutdown (after the grace time). */
export const WORKER_SHUTDOWN_FAILURE = 'WorkerShutdown';

/** One hyperparameter trial: train on the prepared set in a training thread, score on validation, store the model. */
export async function runTrialWith(deps: TrialDeps, input: RunTrialInput): Promise<TrialResult> {
  const ctx = Context.current();
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
  const dataset = await deps.datasets.get(input.datasetHash, input.datasetRef);

  let latest: Record<string, unknown> = { trialId: input.trialId, step: 'training', engine };
  ctx.heartbeat(latest);
  const ticker = setInterval(() => ctx.heartbeat(latest), HEARTBEAT_EVERY_MS);
  try {
    const outcome = await deps.pool.runTrial(
      { engine, params, earlyStoppingRounds: input.earlyStoppingRounds, data: dataset },
      {
        signal: ctx.cancellationSignal,
        onProgress: (p) => {
          latest = { trialId: input.trialId, step: 'training', engine, ...p };
        },
      },
    );
    const modelBytes = Buffer.from(outcome.model);
    const modelRef = artifactKeys.model(
      createHash('sha256').update(modelBytes).digest('hex'),
      outcome.engine,
    );
    if (!(await deps.artifacts.head(modelRef))) await deps.artifacts.put(modelRef, modelBytes);
    return {
      trialId: input.trialId,
      params,
      metrics: outcome.metrics,
      trainMs: Math.round(outcome.trainMs),
      modelRef,
      rounds: outcome.rounds,
      engine: outcome.engine,
      engineVersion: outcome.engineVersion,
    };
  } catch (err) {
    if (ctx.cancellationDetails?.workerShutdown) {
      // Not the trial's fault: retryable, and the search re-runs it rather than filing a failure.
      throw ApplicationFailure.retryable(
        `trial ${input.trialId} interrupted: its worker shut down`,
        WORKER_SHUTDOWN_FAILURE,
      );
    }
    if (ctx.cancellationSignal.aborted) throw new CancelledFailure(`trial ${input.trialId} cancelled`);
    throw err;
  } finally {
    clearInterval(ticker);
  }
}
