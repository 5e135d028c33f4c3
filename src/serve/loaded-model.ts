import { loadNativeEngine } from '../ml/engines/native-engine';
import { probeNativeLibrary } from '../ml/engines/native-library';
import { transformRows, validateFeaturePipeline, type FeaturePipeline } from '../ml/features';
import type { TrialPool } from '../ml/trial-pool';
import type { EngineName, TrafficRow } from '../ml/types';
import type { ModelVersion } from '../registry/model-registry';
import type { BlobStore } from '../storage/blob-store';

/** A registered version ready to score: its stored feature pipeline and its booster, loaded once. */
export interface LoadedModel {
  readonly modelName: string;
  readonly version: number;
  readonly engine: EngineName;
  readonly pipeline: FeaturePipeline;
  /** Raw model outputs, one per row, in row order. */
  score(rows: readonly TrafficRow[]): Promise<Float32Array>;
  /** Releases the booster; only after no request can reach this model any more. */
  free(): void;
}

export interface ModelLoaderDeps {
  artifacts: BlobStore;
  /** Scores wasm models (the wasm engine runs only in worker threads); created when first needed. */
  wasmPool: () => TrialPool;
}

/**
 * Loads a version as the batch path does (score-version.ts): its own stored pipeline, then its model.
 * Native models are loaded in this thread and predict synchronously: no thread hop on the request path.
 */
export async function loadModel(deps: ModelLoaderDeps, version: ModelVersion): Promise<LoadedModel> {
  const [pipelineBytes, modelBytes] = await Promise.all([
    deps.artifacts.get(version.pipelineRef),
    deps.artifacts.get(version.modelRef),
  ]);
  const pipeline = validateFeaturePipeline(JSON.parse(pipelineBytes.toString('utf8')));
  const base = { modelName: version.modelName, version: version.version, engine: version.engine, pipeline };
  if (version.engine === 'native') {
    const booster = nativeEngine().load(modelBytes, version.rounds);
    return {
      ...base,
      score: async (rows) => booster.predict(transformRows(pipeline, rows)),
      free: () => booster.free(),
    };
  }
  const pool = deps.wasmPool();
  return {
    ...base,
    score: (rows) =>
      pool.predict({
        engine: 'wasm',
        model: modelBytes,
        rounds: version.rounds,
        x: transformRows(pipeline, rows),
      }),
    free: () => undefined,
  };
}

let native: ReturnType<typeof loadNativeEngine> | undefined;

function nativeEngine(): ReturnType<typeof loadNativeEngine> {
  native ??= loadNativeEngine(probeNativeLibrary().found?.path);
  return native;
}
