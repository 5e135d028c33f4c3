import { ExplanationUnsupportedError } from '../ml/engines/engine';
import { loadNativeEngine } from '../ml/engines/native-engine';
import { explainRows, type Explanation } from '../ml/explain';
import { validateFeaturePipeline } from '../ml/features';
import type { TrafficRow } from '../ml/types';
import type { ModelVersion } from '../registry/model-registry';
import type { BlobStore } from '../storage/blob-store';

/**
 * SHAP explanations of rows by a registered version: its own stored feature pipeline, then exact TreeSHAP
 * from the native library, in the calling thread (fine for request-sized batches; the run report explains
 * a whole validation set the same way inside its activity).
 */
export async function explainWithVersion(
  deps: { artifacts: BlobStore },
  version: ModelVersion,
  rows: readonly TrafficRow[],
): Promise<Explanation> {
  if (version.engine !== 'native') {
    throw new ExplanationUnsupportedError(
      `SHAP explanations need the native engine: ${version.modelName} v${version.version} was trained by the ` +
        `${version.engine} engine, which has no TreeSHAP. Retrain with --engine native (apt-get install libxgboost0).`,
    );
  }
  const pipeline = validateFeaturePipeline(
    JSON.parse((await deps.artifacts.get(version.pipelineRef)).toString('utf8')),
  );
  const model = loadNativeEngine().load(await deps.artifacts.get(version.modelRef), version.rounds);
  try {
    return explainRows(model, pipeline, rows);
  } finally {
    model.free();
  }
}
