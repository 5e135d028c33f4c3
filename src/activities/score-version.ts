import type { DenseMatrix } from '../contracts';
import { averagePredictions, parseEnsembleModel } from '../engines/ensemble-model';
import { transformWithPipeline, validateAnyFeaturePipeline } from '../features/feature-pipeline';
import type { TrialPool } from '../engines/trial-pool';
import type { TrafficRow } from '../contracts/domain';
import type { ModelVersion } from '../registry/model-registry';
import type { BlobStore } from '../storage/blob-store';

export interface ScoreDeps {
  artifacts: BlobStore;
  pool: TrialPool;
}

/** What a stored model needs to predict: a single model, or an ensemble whose members are averaged. */
export type StoredModel = Pick<ModelVersion, 'modelRef' | 'engine' | 'rounds' | 'modelFormat'>;

/**
 * Predicts rows with a registered version: its own stored feature pipeline (any version), then its model
 * (single or ensemble), in a pool thread. The one loading-and-scoring function every path uses.
 */
export async function scoreWithVersion(
  deps: ScoreDeps,
  version: ModelVersion,
  rows: readonly TrafficRow[],
): Promise<Float32Array> {
  const pipeline = validateAnyFeaturePipeline(
    JSON.parse((await deps.artifacts.get(version.pipelineRef)).toString('utf8')),
  );
  return predictMatrix(deps, version, transformWithPipeline(pipeline, rows).matrix);
}

/** Predicts an already transformed matrix with a stored model (single or ensemble). */
export async function predictMatrix(
  deps: ScoreDeps,
  model: StoredModel,
  x: DenseMatrix,
): Promise<Float32Array> {
  if (model.modelFormat !== 'ensemble') {
    return deps.pool.predict({
      engine: model.engine,
      model: await deps.artifacts.get(model.modelRef),
      rounds: model.rounds,
      x,
    });
  }
  const ensemble = parseEnsembleModel(
    JSON.parse((await deps.artifacts.get(model.modelRef)).toString('utf8')),
  );
  const predictions: Float32Array[] = [];
  for (const member of ensemble.members) {
    predictions.push(
      await deps.pool.predict({
        engine: member.engine,
        model: await deps.artifacts.get(member.modelRef),
        rounds: member.rounds,
        x,
      }),
    );
  }
  return averagePredictions(predictions);
}
