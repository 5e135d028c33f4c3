import type { EngineName, XGBoostParams } from '../types';

/** A dense row-major float32 matrix. */
export interface DenseMatrix {
  data: Float32Array;
  rows: number;
  cols: number;
}

export interface TrainRequest {
  train: DenseMatrix;
  trainLabels: Float32Array;
  /** Evaluation set; the native engine uses it for early stopping. */
  validation?: DenseMatrix;
  validationLabels?: Float32Array;
  params: XGBoostParams;
  /** Threads XGBoost may use for this one model. */
  nthread: number;
  /** Stop when validation RMSE has not improved for this many rounds (native engine only; 0 disables). */
  earlyStoppingRounds?: number;
  /** Called every few boosting rounds (where the engine can report progress). */
  onProgress?: (progress: { round: number; totalRounds: number; validationRmse?: number }) => void;
}

export interface TrainedModel {
  readonly engine: EngineName;
  /** Number of boosting rounds used for prediction (best iteration + 1 when early stopping kicked in). */
  readonly rounds: number;
  /** Batch prediction, one value per row. */
  predict(x: DenseMatrix): Float32Array;
  /** Serialised model (native: XGBoost JSON that Python's xgboost can load; wasm: ml-xgboost's own format). */
  save(): Buffer;
  /** Frees native memory; the model is unusable afterwards. Safe to call twice. */
  free(): void;
}

export interface Engine {
  readonly name: EngineName;
  /** Library version, e.g. "1.7.4" for native, "0.72-wasm" for ml-xgboost. */
  readonly version: string;
  train(request: TrainRequest): TrainedModel;
  /** Loads a model produced by `save()` of the same engine; `rounds` limits prediction to the first trees. */
  load(model: Buffer, rounds?: number): TrainedModel;
}
