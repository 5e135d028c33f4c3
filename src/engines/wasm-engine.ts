/**
 * The WebAssembly engine: ml-xgboost (XGBoost 0.7 compiled to wasm), a fallback when libxgboost is absent.
 *
 * Only load it inside worker threads: on load, ml-xgboost's emscripten runtime registers a process-wide
 * 'uncaughtException' handler that rethrows everything and prints a "wasm streaming compile failed" warning.
 * In the main thread of a Temporal worker that handler would turn every uncaught error into a crash.
 *
 * Differences from the native engine: no evaluation set or early stopping (onProgress is called once, at the
 * end); single-threaded (nthread is ignored); row-by-row prediction; its own model format.
 */
import type { DenseMatrix } from '../contracts';
import { isMainThread } from 'node:worker_threads';
import { assertDenseMatrix, assertTrainRequest, ExplanationUnsupportedError } from './engine';
import type { Engine, TrainedModel, TrainRequest } from './engine';
import type { XGBoostParams } from '../contracts/domain';
import { logger } from '../common/logger';

const wasmLog = logger.child({ component: 'ml-xgboost' });

export const WASM_ENGINE_VERSION = '0.7-wasm (ml-xgboost 1.1.2)';
const MODEL_FORMAT = 'ml-xgboost';

/**
 * ml-xgboost builds its DMatrix with missing = -1, so an input of exactly -1 would silently become "missing".
 * We send NaN (our missing marker) as -1 and nudge a real -1 to the next float32 towards zero.
 */
const WASM_MISSING = -1;
const MINUS_ONE_NUDGED = Math.fround(-1 + 2 ** -24);

interface MlXGBoostModelJson {
  name: string;
  model: ArrayLike<number>;
  options: Record<string, unknown>;
}

interface MlXGBoostModel {
  train(x: number[][], y: ArrayLike<number>): void;
  predict(x: number[][]): number[];
  toJSON(): MlXGBoostModelJson;
  free(): void;
}

interface MlXGBoostClass {
  new (options: Record<string, string | number>): MlXGBoostModel;
  load(model: MlXGBoostModelJson): MlXGBoostModel;
}

/** What save() writes: ml-xgboost's model bytes plus the options it needs to load them. */
interface SavedWasmModel {
  format: typeof MODEL_FORMAT;
  rounds: number;
  options: Record<string, unknown>;
  model: string; // base64
}

let loading: Promise<MlXGBoostClass> | undefined;

/** Loads ml-xgboost once per thread; refuses the main thread unless `allowMainThread` (scripts, not workers). */
export async function loadWasmEngine(options: { allowMainThread?: boolean } = {}): Promise<Engine> {
  if (isMainThread && !options.allowMainThread) {
    throw new Error(
      'The wasm engine must be loaded inside a worker thread: ml-xgboost installs a global uncaughtException handler',
    );
  }
  if (!loading) {
    routeLibraryOutputToDebugLog();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loading = require('ml-xgboost') as Promise<MlXGBoostClass>;
  }
  const XGBoost = await loading;
  return {
    name: 'wasm',
    version: WASM_ENGINE_VERSION,
    train: (request) => train(XGBoost, request),
    load: (model, rounds) => load(XGBoost, model, rounds),
  };
}

/**
 * What ml-xgboost prints through console.log/warn: emscripten's loader messages on every load in Node
 * (fetch() cannot read a file path, so it falls back) and XGBoost's own `[hh:mm:ss] …` log lines.
 */
const LIBRARY_MESSAGE =
  /^(wasm streaming compile failed|falling back to ArrayBuffer instantiation|\[\d\d:\d\d:\d\d\] )/;

/**
 * Sends the library's messages to the debug log for the rest of this thread's life (the engine only
 * runs in trial threads, so nothing else prints here); other console output passes through.
 */
function routeLibraryOutputToDebugLog(): void {
  for (const method of ['log', 'warn'] as const) {
    const original = console[method];
    console[method] = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && LIBRARY_MESSAGE.test(args[0])) wasmLog.debug(args[0].trim());
      else original(...args);
    };
  }
}

/** ml-xgboost option names for the scikit-learn style names of a trial. */
export function wasmBoosterOptions(params: XGBoostParams): Record<string, string | number> {
  const options: Record<string, string | number> = {
    booster: 'gbtree',
    objective: 'reg:linear', // XGBoost 0.7's name for reg:squarederror
    tree_method: 'hist', // several times faster than 0.7's default exact method
    iterations: params.n_estimators,
    eta: params.learning_rate,
    max_depth: params.max_depth,
    gamma: params.gamma,
    alpha: params.reg_alpha,
    lambda: params.reg_lambda,
    subsample: params.subsample,
    colsample_bytree: params.colsample_bytree,
    min_child_weight: params.min_child_weight ?? 1,
  };
  if (params.seed !== undefined) options.seed = params.seed;
  return options;
}

function train(XGBoost: MlXGBoostClass, request: TrainRequest): TrainedModel {
  assertTrainRequest(request);
  if (request.trainWeights) {
    // ml-xgboost's train(x, y) takes no weights.
    throw new RangeError(
      'the wasm engine cannot train with sample weights (recency half-life): use the native engine',
    );
  }
  const booster = new XGBoost(wasmBoosterOptions(request.params));
  try {
    booster.train(toRows(request.train), request.trainLabels);
    const rounds = request.params.n_estimators;
    request.onProgress?.({ round: rounds, totalRounds: rounds });
    return new WasmModel(booster, rounds);
  } catch (err) {
    booster.free();
    throw err;
  }
}

function load(XGBoost: MlXGBoostClass, saved: Buffer, rounds?: number): TrainedModel {
  let parsed: SavedWasmModel;
  try {
    parsed = JSON.parse(saved.toString('utf8')) as SavedWasmModel;
  } catch {
    throw new Error('Not a wasm engine model: it is not JSON');
  }
  if (parsed.format !== MODEL_FORMAT)
    throw new Error(`Not a wasm engine model (format ${String(parsed.format)})`);
  if (rounds !== undefined && rounds !== parsed.rounds) {
    throw new RangeError(
      `The wasm engine always predicts with all ${parsed.rounds} rounds (asked for ${rounds})`,
    );
  }
  const booster = XGBoost.load({
    name: MODEL_FORMAT,
    model: Buffer.from(parsed.model, 'base64'),
    options: parsed.options,
  });
  return new WasmModel(booster, parsed.rounds);
}

function toRows(x: DenseMatrix): number[][] {
  const rows: number[][] = new Array(x.rows);
  for (let r = 0; r < x.rows; r++) {
    const row: number[] = new Array(x.cols);
    for (let c = 0; c < x.cols; c++) {
      const value = x.data[r * x.cols + c];
      row[c] = Number.isNaN(value) ? WASM_MISSING : value === WASM_MISSING ? MINUS_ONE_NUDGED : value;
    }
    rows[r] = row;
  }
  return rows;
}

class WasmModel implements TrainedModel {
  readonly engine = 'wasm' as const;
  #booster: MlXGBoostModel | undefined;

  constructor(
    booster: MlXGBoostModel,
    readonly rounds: number,
  ) {
    this.#booster = booster;
  }

  predict(x: DenseMatrix): Float32Array {
    assertDenseMatrix(x, 'predict');
    return Float32Array.from(this.#live().predict(toRows(x)));
  }

  contributions(): Float32Array {
    throw new ExplanationUnsupportedError(
      'SHAP explanations need the native engine: this model was trained by the wasm engine (ml-xgboost, XGBoost 0.7), ' +
        'which has no TreeSHAP. Retrain with --engine native (apt-get install libxgboost0).',
    );
  }

  save(): Buffer {
    const json = this.#live().toJSON();
    // toJSON() yields the bytes as signed 8-bit numbers.
    const bytes = Buffer.from(Int8Array.from(json.model).buffer);
    const saved: SavedWasmModel = {
      format: MODEL_FORMAT,
      rounds: this.rounds,
      options: json.options,
      model: bytes.toString('base64'),
    };
    return Buffer.from(JSON.stringify(saved), 'utf8');
  }

  free(): void {
    this.#booster?.free();
    this.#booster = undefined;
  }

  #live(): MlXGBoostModel {
    if (!this.#booster) throw new Error('This wasm model was freed');
    return this.#booster;
  }
}
