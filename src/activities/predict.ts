import { parsePredictionRows } from '../data/prediction-rows';
import type { TrialPool } from '../engines/trial-pool';
import type { ModelRegistry } from '../registry/model-registry';
import type { BlobStore } from '../storage/blob-store';
import type { PredictInput, PredictResult } from '../contracts';
import { nonRetryable } from './errors';
import { scoreWithVersion } from './score-version';
import { requestedIntervals } from './version-intervals';

export interface PredictDeps {
  artifacts: BlobStore;
  registry: ModelRegistry;
  pool: TrialPool;
}

/** Scores rows with a registered version, applying exactly the feature pipeline stored with it. */
export async function predictWith(deps: PredictDeps, input: PredictInput): Promise<PredictResult> {
  let rows;
  try {
    rows = parsePredictionRows(input.rows);
  } catch (err) {
    throw nonRetryable('InvalidInput', (err as Error).message);
  }
  let version;
  try {
    version = await deps.registry.resolve(input.modelName, input.version);
  } catch (err) {
    throw nonRetryable('RegistryError', (err as Error).message);
  }
  const predictions = await scoreWithVersion(deps, version, rows);
  const intervals =
    input.interval === undefined
      ? undefined
      : await requestedIntervals(deps.artifacts, version, rows, predictions, input.interval);
  return {
    modelName: version.modelName,
    version: version.version,
    engine: version.engine,
    predictions: Array.from(predictions, (p) => Math.round(p * 100) / 100),
    ...(intervals ? { intervals, intervalLevel: input.interval } : {}),
  };
}
