/** The native XGBoost engine: libxgboost's C API through koffi (see native-library.ts). */
import type { DenseMatrix } from '../contracts';
import type { XGBoostParams } from '../contracts/domain';
import { assertDenseMatrix, assertTrainRequest } from './engine';
import type { Engine, TrainedModel, TrainRequest } from './engine';
import { NATIVE_INSTALL_HINT, openXGBoostLibrary, probeNativeLibrary } from './native-library';
import type { Handle, QuantileDMatrixSupport, XGBoostLibrary } from './native-library';

const VALIDATION_NAME = 'validation';
/** Rows with NaN are missing values, as in Python's xgboost. */
const MISSING = Number.NaN;
/** Loaded models predict on one thread, the budget a trial thread has (see trial-pool.ts). */
const LOADED_MODEL_NTHREAD = 1;
/** XGBoost's default `max_bin`; the booster's must equal the QuantileDMatrix's, and neither is set here. */
const MAX_BIN = 256;

/**
 * How the training rows reach XGBoost. `quantile` (where the library has it, XGBoost >= 1.7): a QuantileDMatrix
 * that reads the rows in place and keeps only their 1-byte histogram bins; `dense`: XGDMatrixCreateFromMat, which
 * copies every value into a CSR page (8 bytes each) before `hist` bins them. Both train the same trees.
 */
export type TrainingMatrix = 'quantile' | 'dense';

// Live handles created by this thread; lets tests prove that error paths free everything.
const live = { dmatrices: 0, boosters: 0 };

export function nativeHandleCounts(): { dmatrices: number; boosters: number } {
  return { ...live };
}

/** Binds the library at `libraryPath`, or the one found by findNativeLibrary(). */
export function loadNativeEngine(
  libraryPath?: string,
  options: { trainingMatrix?: TrainingMatrix } = {},
): Engine {
  const library = openXGBoostLibrary(libraryPath ?? requireLibraryPath());
  const quantile = (options.trainingMatrix ?? 'quantile') === 'quantile' ? library.quantile : undefined;
  return {
    name: 'native',
    version: library.version,
    train: (request) => train(library, quantile, request),
    load: (model, rounds) => load(library, model, rounds),
  };
}

function requireLibraryPath(): string {
  const probe = probeNativeLibrary();
  if (probe.found) return probe.found.path;
  const tried = probe.rejected.map((r) => `\n  ${r.path}: ${r.reason}`).join('');
  throw new Error(`The native XGBoost library was not found. ${NATIVE_INSTALL_HINT}${tried}`);
}

/** XGBoost parameter names for the scikit-learn style names of a trial. */
export function nativeBoosterParams(params: XGBoostParams, nthread: number): Array<[string, string]> {
  const entries: Array<[string, string | number | undefined]> = [
    ['objective', 'reg:squarederror'],
    ['eval_metric', 'rmse'],
    ['tree_method', 'hist'],
    ['nthread', nthread],
    ['eta', params.learning_rate],
    ['max_depth', params.max_depth],
    ['gamma', params.gamma],
    ['alpha', params.reg_alpha],
    ['lambda', params.reg_lambda],
    ['subsample', params.subsample],
    ['colsample_bytree', params.colsample_bytree],
    ['min_child_weight', params.min_child_weight],
    ['seed', params.seed],
  ];
  return entries.filter(([, value]) => value !== undefined).map(([name, value]) => [name, String(value)]);
}

function train(
  library: XGBoostLibrary,
  quantile: QuantileDMatrixSupport | undefined,
  request: TrainRequest,
): TrainedModel {
  assertTrainRequest(request);
  const { api } = library;
  const totalRounds = request.params.n_estimators;
  const dmatrices: Handle[] = [];
  let booster: Handle | undefined;
  try {
    const dtrain = quantile
      ? createQuantileDMatrix(library, quantile, request)
      : createDMatrix(library, request.train, request.nthread, request.trainLabels, request.trainWeights);
    dmatrices.push(dtrain);
    const dvalidation =
      request.validation && request.validationLabels
        ? createDMatrix(library, request.validation, request.nthread, request.validationLabels)
        : undefined;
    if (dvalidation !== undefined) dmatrices.push(dvalidation);
    booster = createBooster(library, dmatrices);
    for (const [name, value] of nativeBoosterParams(request.params, request.nthread)) {
      library.check(api.XGBoosterSetParam(booster, name, value), `XGBoosterSetParam(${name}=${value})`);
    }

    const patience = dvalidation !== undefined ? (request.earlyStoppingRounds ?? 0) : 0;
    let best = { iteration: -1, rmse: Number.POSITIVE_INFINITY };
    let trained = 0;
    for (let iteration = 0; iteration < totalRounds; iteration++) {
      library.check(
        api.XGBoosterUpdateOneIter(booster, iteration, dtrain),
        `XGBoosterUpdateOneIter(${iteration})`,
      );
      trained = iteration + 1;
      const validationRmse =
        dvalidation !== undefined ? evaluate(library, booster, iteration, dvalidation) : undefined;
      if (validationRmse !== undefined && validationRmse < best.rmse)
        best = { iteration, rmse: validationRmse };
      if (request.onProgress?.({ round: trained, totalRounds, validationRmse }) === 'stop') break;
      if (patience > 0 && iteration - best.iteration >= patience) break;
    }

    const earlyStopped = patience > 0 && best.iteration >= 0;
    const rounds = earlyStopped ? best.iteration + 1 : trained;
    // Dropping the trees after the best iteration makes the saved JSON predict like this model in any xgboost.
    const kept = rounds < trained ? slice(library, booster, rounds) : booster;
    if (kept !== booster) freeBooster(library, booster);
    booster = undefined;
    return new NativeModel(library, kept, rounds, request.nthread, earlyStopped ? best.iteration : undefined);
  } finally {
    if (booster !== undefined) freeBooster(library, booster);
    for (const handle of dmatrices) freeDMatrix(library, handle);
  }
}

function load(library: XGBoostLibrary, model: Buffer, rounds?: number): TrainedModel {
  assertReadableVersion(library, model);
  const booster = createBooster(library, []);
  try {
    library.check(
      library.api.XGBoosterLoadModelFromBuffer(booster, model, model.length),
      'XGBoosterLoadModelFromBuffer',
    );
    const boosted = [0];
    library.check(library.api.XGBoosterBoostedRounds(booster, boosted), 'XGBoosterBoostedRounds');
    const used = rounds ?? boosted[0];
    if (!Number.isInteger(used) || used < 1 || used > boosted[0]) {
      throw new RangeError(`rounds must be an integer in [1, ${boosted[0]}] (got ${rounds})`);
    }
    const nthread = String(LOADED_MODEL_NTHREAD);
    library.check(library.api.XGBoosterSetParam(booster, 'nthread', nthread), 'XGBoosterSetParam(nthread)');
    return new NativeModel(library, booster, used, LOADED_MODEL_NTHREAD, undefined);
  } catch (err) {
    freeBooster(library, booster);
    throw err;
  }
}

/**
 * Older XGBoost misreads newer JSON models without failing (1.7 takes 3.x's base_score "[1.2E1]" as 0),
 * so a model saved by a newer version is refused. The version array closes XGBoost's JSON document.
 */
function assertReadableVersion(library: XGBoostLibrary, model: Buffer): void {
  const tail = model.subarray(Math.max(0, model.length - 200)).toString('latin1');
  const match = /"version"\s*:\s*\[\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\]\s*\}\s*$/.exec(tail);
  if (!match) return;
  const saved = match.slice(1, 4).map(Number);
  const own = library.version.split('.').map(Number);
  const newer = saved[0] - own[0] || saved[1] - own[1] || saved[2] - own[2];
  if (newer > 0) {
    throw new Error(
      `This model was saved by XGBoost ${saved.join('.')}; the loaded library ${library.path} is ${library.version} ` +
        'and would misread it. Load it with the same or a newer XGBoost (see XGBOOST_LIBRARY_PATH).',
    );
  }
}

/** Parses "[3]\tvalidation-rmse:123.4" from XGBoosterEvalOneIter. */
export function parseValidationRmse(evaluation: string): number {
  const match = new RegExp(`\\b${VALIDATION_NAME}-rmse:(\\S+)`).exec(evaluation);
  const value = match ? Number(match[1]) : Number.NaN;
  if (!match || (Number.isNaN(value) && !/^[-+]?nan$/i.test(match[1]))) {
    throw new Error(`Cannot read the validation RMSE from XGBoost's evaluation "${evaluation}"`);
  }
  return value;
}

function evaluate(library: XGBoostLibrary, booster: Handle, iteration: number, dvalidation: Handle): number {
  const out: Array<string | null> = [null];
  const rc = library.api.XGBoosterEvalOneIter(booster, iteration, [dvalidation], [VALIDATION_NAME], 1, out);
  library.check(rc, `XGBoosterEvalOneIter(${iteration})`);
  return parseValidationRmse(out[0] ?? '');
}

function createDMatrix(
  library: XGBoostLibrary,
  x: DenseMatrix,
  nthread: number,
  labels?: Float32Array,
  weights?: Float32Array,
): Handle {
  const out: Array<Handle | null> = [null];
  const rc = library.api.XGDMatrixCreateFromMat_omp(x.data, x.rows, x.cols, MISSING, out, nthread);
  library.check(rc, 'XGDMatrixCreateFromMat');
  const handle = out[0] as Handle;
  live.dmatrices++;
  if (labels) {
    try {
      setRowInfo(library, handle, labels, weights);
    } catch (err) {
      freeDMatrix(library, handle);
      throw err;
    }
  }
  return handle;
}

/** A matrix's labels and, when given, its rows' weights (on a proxy too, before XGBoost reads its batch). */
function setRowInfo(
  library: XGBoostLibrary,
  handle: Handle,
  labels: Float32Array,
  weights?: Float32Array,
): void {
  library.check(library.api.XGDMatrixSetFloatInfo(handle, 'label', labels, labels.length), 'setting labels');
  if (weights) {
    library.check(
      library.api.XGDMatrixSetFloatInfo(handle, 'weight', weights, weights.length),
      'setting weights',
    );
  }
}

/**
 * The training rows as a QuantileDMatrix: one batch read in place through a proxy (labels and weights too, since
 * the bins are weighted quantiles), after which XGBoost holds no reference to them.
 */
function createQuantileDMatrix(
  library: XGBoostLibrary,
  quantile: QuantileDMatrixSupport,
  request: TrainRequest,
): Handle {
  const { train: x, trainLabels: labels, trainWeights: weights, nthread } = request;
  const proxyOut: Array<Handle | null> = [null];
  library.check(quantile.api.XGProxyDMatrixCreate(proxyOut), 'XGProxyDMatrixCreate');
  const proxy = proxyOut[0] as Handle;
  live.dmatrices++;
  try {
    const arrayInterface = denseArrayInterface(library, x);
    const feed = (): void => {
      library.check(
        quantile.api.XGProxyDMatrixSetDataDense(proxy, arrayInterface),
        'XGProxyDMatrixSetDataDense',
      );
      setRowInfo(library, proxy, labels, weights);
    };
    // JSON has no NaN, but XGBoost's reader (like Python's json) takes it: missing values are NaN, as above.
    const config = `{"missing":NaN,"nthread":${nthread},"max_bin":${MAX_BIN}}`;
    const out: Array<Handle | null> = [null];
    const rc = quantile.withSingleBatch(feed, (reset, next) =>
      quantile.api.XGQuantileDMatrixCreateFromCallback(null, proxy, null, reset, next, config, out),
    );
    library.check(rc, 'XGQuantileDMatrixCreateFromCallback');
    live.dmatrices++;
    return out[0] as Handle;
  } finally {
    freeDMatrix(library, proxy);
  }
}

/** `x` as a read-only numpy-style array interface: XGBoost reads the rows in place, as long as `x` is alive. */
function denseArrayInterface(library: XGBoostLibrary, x: DenseMatrix): string {
  return (
    `{"data":[${library.addressOf(x.data)},true],"shape":[${x.rows},${x.cols}],` +
    '"typestr":"<f4","version":3}'
  );
}

function createBooster(library: XGBoostLibrary, dmatrices: Handle[]): Handle {
  const out: Array<Handle | null> = [null];
  library.check(library.api.XGBoosterCreate(dmatrices, dmatrices.length, out), 'XGBoosterCreate');
  live.boosters++;
  return out[0] as Handle;
}

function slice(library: XGBoostLibrary, booster: Handle, rounds: number): Handle {
  const out: Array<Handle | null> = [null];
  library.check(library.api.XGBoosterSlice(booster, 0, rounds, 1, out), `XGBoosterSlice(0, ${rounds})`);
  live.boosters++;
  return out[0] as Handle;
}

function freeDMatrix(library: XGBoostLibrary, handle: Handle): void {
  live.dmatrices--;
  library.check(library.api.XGDMatrixFree(handle), 'XGDMatrixFree');
}

function freeBooster(library: XGBoostLibrary, handle: Handle): void {
  live.boosters--;
  library.check(library.api.XGBoosterFree(handle), 'XGBoosterFree');
}

// Safety net for models dropped without free(); explicit free() stays the rule (GC timing is unpredictable).
const unfreed = new FinalizationRegistry<{ library: XGBoostLibrary; handle: Handle }>(({ library, handle }) =>
  freeBooster(library, handle),
);

class NativeModel implements TrainedModel {
  readonly engine = 'native' as const;
  #handle: Handle | undefined;

  constructor(
    private readonly library: XGBoostLibrary,
    handle: Handle,
    readonly rounds: number,
    private readonly nthread: number,
    readonly bestIteration: number | undefined,
  ) {
    this.#handle = handle;
    unfreed.register(this, { library, handle }, this);
  }

  /** In place (XGBoosterPredictFromDense): the same trees on the same float values as through a DMatrix, without its copy of the rows. */
  predict(x: DenseMatrix): Float32Array {
    const booster = this.#booster();
    assertDenseMatrix(x, 'predictions');
    // JSON has no NaN, but XGBoost's reader takes it (see createQuantileDMatrix).
    const config =
      `{"type":0,"training":false,"iteration_begin":0,"iteration_end":${this.rounds},` +
      '"strict_shape":false,"cache_id":0,"missing":NaN}';
    return this.#result(x.rows, 'predictions', x.rows, (shape, dim, result) =>
      this.library.api.XGBoosterPredictFromDense(
        booster,
        denseArrayInterface(this.library, x),
        config,
        null,
        shape,
        dim,
        result,
      ),
    );
  }

  /** Exact TreeSHAP contributions (type 2, as pred_contribs=True): rows x (features + 1), bias last. */
  contributions(x: DenseMatrix): Float32Array {
    const booster = this.#booster();
    assertDenseMatrix(x, 'contributions');
    const dmatrix = createDMatrix(this.library, x, this.nthread);
    try {
      const config =
        `{"type":2,"training":false,"iteration_begin":0,"iteration_end":${this.rounds},` +
        '"strict_shape":false}';
      return this.#result(x.rows * (x.cols + 1), 'contributions', x.rows, (shape, dim, result) =>
        this.library.api.XGBoosterPredictFromDMatrix(booster, dmatrix, config, shape, dim, result),
      );
    } finally {
      freeDMatrix(this.library, dmatrix);
    }
  }

  /** Runs a prediction call and copies its `expected` values out of the booster's buffer. */
  #result(
    expected: number,
    what: string,
    rows: number,
    call: (shape: Array<bigint | null>, dim: number[], result: Array<bigint | null>) => number,
  ): Float32Array {
    const shape: Array<bigint | null> = [null];
    const dim = [0];
    const result: Array<bigint | null> = [null];
    this.library.check(call(shape, dim, result), `predicting ${what}`);
    const size = this.library.copyUint64s(shape[0] as bigint, dim[0]).reduce((c, d) => c * d, 1);
    if (size !== expected)
      throw new Error(`XGBoost returned ${size} ${what} for ${rows} rows, expected ${expected}`);
    return this.library.copyFloats(result[0] as bigint, size);
  }

  save(): Buffer {
    const length = [0];
    const data: Array<bigint | null> = [null];
    const rc = this.library.api.XGBoosterSaveModelToBuffer(
      this.#booster(),
      '{"format":"json"}',
      length,
      data,
    );
    this.library.check(rc, 'XGBoosterSaveModelToBuffer');
    return this.library.copyBytes(data[0] as bigint, length[0]);
  }

  free(): void {
    if (this.#handle === undefined) return;
    unfreed.unregister(this);
    const handle = this.#handle;
    this.#handle = undefined;
    freeBooster(this.library, handle);
  }

  #booster(): Handle {
    if (this.#handle === undefined) throw new Error('This native model was freed');
    return this.#handle;
  }
}
