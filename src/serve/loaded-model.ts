import { ExplanationUnsupportedError, type TrainedModel } from '../engines/engine';
import { loadNativeEngine } from '../engines/native-engine';
import { probeNativeLibrary } from '../engines/native-library';
import { averagePredictions, parseEnsembleModel, type EnsembleMember } from '../engines/ensemble-model';
import { groupContributions, meanOutputs, type Explanation } from '../engines/explain';
import {
  transformWithPipeline,
  validateAnyFeaturePipeline,
  type AnyFeaturePipeline,
} from '../features/feature-pipeline';
import { TreeEnsemble, UnsupportedTreeModelError } from '../engines/tree-ensemble';
import { parseIntervalCalibration, type IntervalCalibration } from '../evaluation/prediction-interval';
import type { TrialPool } from '../engines/trial-pool';
import type { EngineName, TrafficRow } from '../contracts/domain';
import type { ModelVersion } from '../registry/model-registry';
import type { BlobStore } from '../storage/blob-store';

/** A registered version ready to score: its stored feature pipeline and its booster(s), loaded once. */
export interface LoadedModel {
  readonly modelName: string;
  readonly version: number;
  readonly engine: EngineName;
  readonly pipeline: AnyFeaturePipeline;
  /** Prediction-interval calibration (absent for versions registered before intervals existed). */
  readonly intervals?: IntervalCalibration;
  /** Raw model outputs, one per row, in row order. */
  score(rows: readonly TrafficRow[]): Promise<Float32Array>;
  /**
   * Exact TreeSHAP by input column, computed in a pool thread so the event loop stays free (native models
   * only: ExplanationUnsupportedError otherwise).
   */
  explain(rows: readonly TrafficRow[]): Promise<Explanation>;
  /** Releases the boosters; only after no request can reach this model any more. */
  free(): void;
}

export interface ModelLoaderDeps {
  artifacts: BlobStore;
  /**
   * Worker threads for what must not run on the event loop: wasm scoring (the wasm engine runs only in
   * worker threads) and SHAP; created when first needed.
   */
  pool: () => TrialPool;
}

/**
 * Loads a version as the batch path does (score-version.ts): its own stored pipeline (any version), then its
 * model, or every member of an ensemble (predictions averaged). Native models' trees are evaluated in this
 * thread in JavaScript (tree-ensemble.ts): no thread hop and no native call on the request path.
 */
export async function loadModel(deps: ModelLoaderDeps, version: ModelVersion): Promise<LoadedModel> {
  const [pipelineBytes, modelBytes] = await Promise.all([
    deps.artifacts.get(version.pipelineRef),
    deps.artifacts.get(version.modelRef),
  ]);
  const pipeline = validateAnyFeaturePipeline(JSON.parse(pipelineBytes.toString('utf8')));
  const members: (Pick<EnsembleMember, 'engine' | 'rounds'> & { bytes: Buffer })[] =
    version.modelFormat === 'ensemble'
      ? await Promise.all(
          parseEnsembleModel(JSON.parse(modelBytes.toString('utf8'))).members.map(async (m) => ({
            engine: m.engine,
            rounds: m.rounds,
            bytes: await deps.artifacts.get(m.modelRef),
          })),
        )
      : [{ engine: version.engine, rounds: version.rounds, bytes: modelBytes }];
  const intervals = version.intervalRef
    ? parseIntervalCalibration(JSON.parse((await deps.artifacts.get(version.intervalRef)).toString('utf8')))
    : undefined;
  const base = {
    modelName: version.modelName,
    version: version.version,
    engine: version.engine,
    pipeline,
    ...(intervals ? { intervals } : {}),
  };
  const features = (rows: readonly TrafficRow[]) => transformWithPipeline(pipeline, rows).matrix;
  if (members.every((m) => m.engine === 'native')) {
    // Scored in JavaScript from each member's JSON (no native call per request); the native booster only
    // for a model the evaluator does not cover.
    const scorers: Array<Pick<TrainedModel, 'predict'> & { free?: () => void }> = members.map((m) => {
      try {
        return TreeEnsemble.fromJson(m.bytes, m.rounds);
      } catch (err) {
        if (!(err instanceof UnsupportedTreeModelError)) throw err;
        return nativeEngine().load(m.bytes, m.rounds);
      }
    });
    return {
      ...base,
      score: async (rows) => {
        const x = features(rows);
        return scorers.length === 1
          ? scorers[0].predict(x)
          : averagePredictions(scorers.map((b) => b.predict(x)));
      },
      explain: async (rows) => {
        const x = features(rows);
        const pool = deps.pool();
        const outputs = await Promise.all(
          members.map((m) => pool.explain({ engine: 'native', model: m.bytes, rounds: m.rounds, x })),
        );
        return groupContributions(pipeline, meanOutputs(outputs));
      },
      free: () => scorers.forEach((b) => b.free?.()),
    };
  }
  const pool = deps.pool();
  return {
    ...base,
    score: async (rows) => {
      const x = features(rows);
      const predictions = await Promise.all(
        members.map((m) => pool.predict({ engine: m.engine, model: m.bytes, rounds: m.rounds, x })),
      );
      return averagePredictions(predictions);
    },
    explain: () => {
      return Promise.reject(
        new ExplanationUnsupportedError(
          `SHAP explanations need the native engine: ${version.modelName} v${version.version} was trained by the wasm engine`,
        ),
      );
    },
    free: () => undefined,
  };
}

let native: ReturnType<typeof loadNativeEngine> | undefined;

function nativeEngine(): ReturnType<typeof loadNativeEngine> {
  native ??= loadNativeEngine(probeNativeLibrary().found?.path);
  return native;
}
