import type { DenseMatrix, EngineName, XGBoostParams } from '../contracts/domain';

export interface TrainRequest {
  train: DenseMatrix;
  trainLabels: Float32Array;
  /** Evaluation set; the native engine uses it for early stopping. */
  validation?: DenseMatrix;
  validationLabels?: Float32Array;
  /** One non-negative weight per training row (e.g. recency weights); absent: every row weighs 1. */
  trainWeights?: Float32Array;
  params: XGBoostParams;
  /** Threads XGBoost may use for this one model. */
  nthread: number;
  /** Stop when validation RMSE has not improved for this many rounds (native engine only; 0 disables). */
  earlyStoppingRounds?: number;
  /**
   * Called every few boosting rounds (where the engine can report progress).
   * Throwing from it stops training: the engine frees what it allocated and rethrows.
   * Returning 'stop' ends training cleanly after this round (pruning): the model so far is returned.
   */
  onProgress?: (progress: { round: number; totalRounds: number; validationRmse?: number }) => void | 'stop';
}

export interface TrainedModel {
  readonly engine: EngineName;
  /** Number of boosting rounds used for prediction (best iteration + 1 when early stopping kicked in). */
  readonly rounds: number;
  /** Zero-based best validation iteration, set when early stopping was active (then `rounds` = bestIteration + 1). */
  readonly bestIteration?: number;
  /** Batch prediction, one value per row. */
  predict(x: DenseMatrix): Float32Array;
  /**
   * Exact TreeSHAP contributions, row-major `rows x (cols + 1)`: one value per feature, then the bias; each row
   * sums to the prediction. Only the native engine computes them (the wasm engine throws ExplanationUnsupportedError).
   */
  contributions(x: DenseMatrix): Float32Array;
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

/** Throws a RangeError naming the first inconsistency; engines call it before touching native or wasm memory. */
export function assertDenseMatrix(x: DenseMatrix, what: string): void {
  if (!Number.isInteger(x.rows) || x.rows < 1 || !Number.isInteger(x.cols) || x.cols < 1) {
    throw new RangeError(`${what}: rows and cols must be positive integers (got ${x.rows} x ${x.cols})`);
  }
  if (x.data.length !== x.rows * x.cols) {
    throw new RangeError(
      `${what}: data has ${x.data.length} values, expected rows x cols = ${x.rows * x.cols}`,
    );
  }
}

export function assertTrainRequest(request: TrainRequest): void {
  const { train, trainLabels, validation, validationLabels, params, nthread } = request;
  assertDenseMatrix(train, 'train');
  if (trainLabels.length !== train.rows) {
    throw new RangeError(`train: ${trainLabels.length} labels for ${train.rows} rows`);
  }
  const weights = request.trainWeights;
  if (weights !== undefined) {
    if (weights.length !== train.rows) {
      throw new RangeError(`trainWeights: ${weights.length} weights for ${train.rows} rows`);
    }
    if (weights.some((w) => !(w >= 0) || !Number.isFinite(w))) {
      throw new RangeError('trainWeights must be finite and non-negative');
    }
  }
  if ((validation === undefined) !== (validationLabels === undefined)) {
    throw new RangeError('validation and validationLabels must be given together');
  }
  if (validation && validationLabels) {
    assertDenseMatrix(validation, 'validation');
    if (validation.cols !== train.cols) {
      throw new RangeError(`validation has ${validation.cols} columns, train has ${train.cols}`);
    }
    if (validationLabels.length !== validation.rows) {
      throw new RangeError(`validation: ${validationLabels.length} labels for ${validation.rows} rows`);
    }
  }
  if (!Number.isInteger(params.n_estimators) || params.n_estimators < 1) {
    throw new RangeError(`n_estimators must be a positive integer (got ${params.n_estimators})`);
  }
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && !Number.isFinite(value))
      throw new RangeError(`${name} must be a finite number (got ${value})`);
  }
  if (!Number.isInteger(nthread) || nthread < 1)
    throw new RangeError(`nthread must be a positive integer (got ${nthread})`);
  const rounds = request.earlyStoppingRounds ?? 0;
  if (!Number.isInteger(rounds) || rounds < 0) {
    throw new RangeError(`earlyStoppingRounds must be a non-negative integer (got ${rounds})`);
  }
}

/** Raised by engines that cannot compute SHAP contributions (ml-xgboost's XGBoost 0.7 build has no TreeSHAP). */
export class ExplanationUnsupportedError extends Error {
  override readonly name = 'ExplanationUnsupportedError';
}
