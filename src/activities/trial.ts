import { createHash } from 'node:crypto';
import { CancelledFailure, Context } from '@temporalio/activity';
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

/**
 * Heartbeats only keep the trial alive (the search's heartbeat timeout is 20 s, so a killed worker stalls a
 * trial for at most that long); a trial shorter than this interval sends none.
 */
const HEARTBEAT_EVERY_MS = 8_000;

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
  let latest: Record<string, unknown> = { trialId: input.trialId, step: 'loading', engine };
  const ticker = setInterval(() => ctx.heartbeat(latest), HEARTBEAT_EVERY_MS);
  try {
    const dataset = await deps.datasets.get(input.datasetHash, input.datasetRef);
    latest = { trialId: input.trialId, step: 'training', engine };
    const outcome = await deps.pool.runTrial(
      {
        engine,
        params,
        earlyStoppingRounds: input.earlyStoppingRounds,
        data: dataset,
        pruning: input.pruning,
        saveModelIfRmseAtMost: input.storeModelIfRmseAtMost,
      },
      {
        signal: ctx.cancellationSignal,
        onProgress: (p) => {
          latest = { trialId: input.trialId, step: 'training', engine, ...p };
        },
      },
    );
    const modelRef = outcome.model && (await storeModel(deps.artifacts, outcome.model, outcome.engine));
    const result: TrialResult = {
      trialId: input.trialId,
      params,
      metrics: outcome.metrics,
      trainMs: Math.round(outcome.trainMs),
      modelRef,
      rounds: outcome.rounds,
      engine: outcome.engine,
      engineVersion: outcome.engineVersion,
      roundsTrained: outcome.roundsTrained,
    };
    if (outcome.pruned) result.pruned = true;
    if (outcome.rungScores.length > 0) result.rungScores = outcome.rungScores;
    return result;
  } catch (err) {
    if (ctx.cancellationSignal.aborted) throw new CancelledFailure(`trial ${input.trialId} cancelled`);
    throw err;
  } finally {
    clearInterval(ticker);
  }
}

/** Models are content-addressed: a retried trial stores nothing twice. */
async function storeModel(artifacts: BlobStore, model: Uint8Array, engine: string): Promise<string> {
  const modelBytes = Buffer.from(model);
  const modelRef = artifactKeys.model(createHash('sha256').update(modelBytes).digest('hex'), engine);
  if (!(await artifacts.head(modelRef))) await artifacts.put(modelRef, modelBytes);
  return modelRef;
}
