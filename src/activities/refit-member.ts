import { resolveEngineName } from '../engines/select-engine';
import type { TrialPool } from '../engines/trial-pool';
import type { TrialMatrices } from '../features/prepared-dataset';
import { allRows } from '../features/stack-rows';
import type { BlobStore } from '../storage/blob-store';
import type { EngineChoice, RefitMemberInput, RefitMemberResult, TrialResult } from '../contracts';
import type { DatasetCache } from './dataset-cache';
import { nonRetryable } from './errors';
import { recencyWeightsFor } from './recency';
import { storeModel } from './store-model';
import { inTrialSlot } from './trial-slot';

export interface RefitDeps {
  artifacts: BlobStore;
  datasets: DatasetCache;
  pool: TrialPool;
}

/**
 * Trains `trial`'s parameters with its selected rounds (no early stopping) on every row of the prepared set
 * and stores the model. Used by the refitMember activity and by finalizeModel for histories from before it.
 */
export async function refitTrial(
  deps: RefitDeps,
  input: { datasetHash: string; datasetRef: string; engine: EngineChoice; recencyHalfLife?: number },
  trial: TrialResult,
  options: { signal?: AbortSignal; onProgress?: (round: number, totalRounds: number) => void } = {},
): Promise<RefitMemberResult> {
  const dataset = await deps.datasets.get(input.datasetHash, input.datasetRef);
  const all = allRows(dataset);
  const trainWeights = await recencyWeightsFor(deps.artifacts, input, 'all', all.x.rows);
  const data: TrialMatrices = {
    train: all.x,
    trainLabels: all.y,
    ...(trainWeights ? { trainWeights } : {}),
    validation: dataset.validation,
    validationLabels: dataset.validationLabels,
  };
  const outcome = await deps.pool.runTrial(
    {
      engine: resolveEngineName(input.engine),
      params: { ...trial.params, n_estimators: trial.rounds },
      earlyStoppingRounds: 0,
      data,
      // The refit has trained on the validation rows: scoring them would tell nothing.
      score: false,
    },
    { signal: options.signal, onProgress: (p) => options.onProgress?.(p.round, p.totalRounds) },
  );
  if (!outcome.model) throw new Error(`refit of ${trial.trialId} returned no model`);
  const modelRef = await storeModel(deps.artifacts, outcome.model, outcome.engine);
  return {
    trialId: trial.trialId,
    engine: outcome.engine,
    modelRef,
    rounds: outcome.rounds,
    rows: all.x.rows,
    trainMs: Math.round(outcome.trainMs),
  };
}

/**
 * The refitMember activity: one ensemble member's refit, on the trial queue in a trial slot, heartbeating as
 * trials do, so the members of an ensemble refit in parallel over the training threads of every worker.
 */
export async function refitMemberWith(deps: RefitDeps, input: RefitMemberInput): Promise<RefitMemberResult> {
  const { trial } = input;
  if (!trial.modelRef) {
    throw nonRetryable(
      'InvalidInput',
      `${trial.trialId} has no stored model (it was outside the search's top N)`,
    );
  }
  return inTrialSlot(
    `refit of ${trial.trialId}`,
    { trialId: trial.trialId, step: 'refit: loading' },
    ({ signal, progress }) =>
      refitTrial(deps, input, trial, {
        signal,
        onProgress: (round, totalRounds) =>
          progress({ trialId: trial.trialId, step: 'refit', round, totalRounds }),
      }),
  );
}
