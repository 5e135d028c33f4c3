import { ExplanationUnsupportedError, type TrainedModel } from '../engines/engine';
import { loadNativeEngine } from '../engines/native-engine';
import { parseEnsembleModel, type EnsembleMember } from '../engines/ensemble-model';
import { explainRows, type Explanation } from '../engines/explain';
import { validateAnyFeaturePipeline } from '../features/feature-pipeline';
import type { TrafficRow } from '../contracts/domain';
import type { ModelVersion } from '../registry/model-registry';
import type { BlobStore } from '../storage/blob-store';

/**
 * SHAP explanations of rows by a registered version: its own stored feature pipeline (any version), then
 * exact TreeSHAP from the native library for its model, or for every member of an ensemble (averaged), in
 * the calling thread (fine for request-sized batches).
 */
export async function explainWithVersion(
  deps: { artifacts: BlobStore },
  version: ModelVersion,
  rows: readonly TrafficRow[],
): Promise<Explanation> {
  const members: Pick<EnsembleMember, 'engine' | 'modelRef' | 'rounds'>[] =
    version.modelFormat === 'ensemble'
      ? parseEnsembleModel(JSON.parse((await deps.artifacts.get(version.modelRef)).toString('utf8'))).members
      : [version];
  const wasm = members.find((m) => m.engine !== 'native');
  if (wasm) {
    throw new ExplanationUnsupportedError(
      `SHAP explanations need the native engine: ${version.modelName} v${version.version} was trained by the ` +
        `${wasm.engine} engine, which has no TreeSHAP. Retrain with --engine native (apt-get install libxgboost0).`,
    );
  }
  const pipeline = validateAnyFeaturePipeline(
    JSON.parse((await deps.artifacts.get(version.pipelineRef)).toString('utf8')),
  );
  const engine = loadNativeEngine();
  const models: TrainedModel[] = [];
  try {
    for (const m of members) models.push(engine.load(await deps.artifacts.get(m.modelRef), m.rounds));
    return explainRows(models, pipeline, rows);
  } finally {
    for (const model of models) model.free();
  }
}
