import { transformRows, validateFeaturePipeline } from '../ml/features';
import type { TrialPool } from '../ml/trial-pool';
import type { TrafficRow } from '../ml/types';
import type { ModelVersion } from '../registry/model-registry';
import type { BlobStore } from '../storage/blob-store';

/** Predicts rows with a registered version: its own stored feature pipeline, then its model, in a pool thread. */
export async function scoreWithVersion(
  deps: { artifacts: BlobStore; pool: TrialPool },
  version: ModelVersion,
  rows: readonly TrafficRow[],
): Promise<Float32Array> {
  const pipeline = validateFeaturePipeline(
    JSON.parse((await deps.artifacts.get(version.pipelineRef)).toString('utf8')),
  );
  return deps.pool.predict({
    engine: version.engine,
    model: await deps.artifacts.get(version.modelRef),
    rounds: version.rounds,
    x: transformRows(pipeline, rows),
  });
}
