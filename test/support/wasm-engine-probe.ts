/**
 * Worker-thread script for the wasm engine tests: ml-xgboost must never load in mocha's own thread.
 * Trains, saves and reloads in the worker and posts back plain numbers for the test to check.
 */
import { parentPort } from 'node:worker_threads';
import { loadWasmEngine } from '../../src/engines/wasm-engine';
import type { XGBoostParams } from '../../src/contracts/domain';
import { sliceRows, syntheticRegression } from './synthetic-regression';

export interface WasmProbeReport {
  name: string;
  version: string;
  rounds: number;
  progressCalls: number;
  rmse: number;
  baselineRmse: number;
  reloadedIdentical: boolean;
  reloadError?: string;
  /** Predictions for one row with feature 5 set to -1, 1 and NaN. */
  minusOne: number;
  plusOne: number;
  missing: number;
  freedPredictError?: string;
  contributionsError?: string;
}

const PARAMS: XGBoostParams = {
  n_estimators: 40,
  max_depth: 4,
  learning_rate: 0.2,
  gamma: 0,
  reg_alpha: 0,
  reg_lambda: 1,
  subsample: 1,
  colsample_bytree: 1,
  seed: 3,
};

async function probe(): Promise<WasmProbeReport> {
  const engine = await loadWasmEngine();
  const whole = syntheticRegression({ rows: 2500, cols: 6, noise: 0.5, seed: 21 });
  const train = sliceRows(whole, 0, 2000);
  const validation = sliceRows(whole, 2000, 2500);
  // Feature 5 is noise in the generator; make it decide the target: -1 -> +50, 1 -> +0, missing (NaN) -> +100.
  // Were -1 taken as missing (ml-xgboost's marker), the -1 and NaN rows would be indistinguishable.
  const offsets = [
    [-1, 50],
    [1, 0],
    [Number.NaN, 100],
  ];
  for (let r = 0; r < train.x.rows; r++) {
    const [value, offset] = offsets[r % 3];
    train.x.data[r * 6 + 5] = value;
    train.y[r] += offset;
  }
  let progressCalls = 0;
  const model = engine.train({
    train: train.x,
    trainLabels: train.y,
    validation: validation.x,
    validationLabels: validation.y,
    params: PARAMS,
    nthread: 1,
    onProgress: () => {
      progressCalls++;
    },
  });
  const predictions = model.predict(validation.x);
  const mean = train.y.reduce((a, b) => a + b, 0) / train.y.length;
  const rmseOf = (p: (i: number) => number): number =>
    Math.sqrt(validation.y.reduce((sum, y, i) => sum + (y - p(i)) ** 2, 0) / validation.y.length);

  const row = Array.from(validation.x.data.subarray(0, 6));
  const withLast = (value: number): number[] => [...row.slice(0, 5), value];
  const [minusOne, plusOne, missing] = model.predict({
    data: Float32Array.from([...withLast(-1), ...withLast(1), ...withLast(Number.NaN)]),
    rows: 3,
    cols: 6,
  });

  const saved = model.save();
  const reloaded = engine.load(saved);
  const again = reloaded.predict(validation.x);
  reloaded.free();
  let reloadError: string | undefined;
  try {
    engine.load(saved, PARAMS.n_estimators - 1);
  } catch (err) {
    reloadError = (err as Error).message;
  }
  let contributionsError: string | undefined;
  try {
    model.contributions(validation.x);
  } catch (err) {
    contributionsError = `${(err as Error).name}: ${(err as Error).message}`;
  }
  model.free();
  let freedPredictError: string | undefined;
  try {
    model.predict(validation.x);
  } catch (err) {
    freedPredictError = (err as Error).message;
  }
  return {
    name: engine.name,
    version: engine.version,
    rounds: model.rounds,
    progressCalls,
    // Validation rows keep feature 5 as noise in [0, 1), on the "+0" side of any split between -1 and 1.
    rmse: rmseOf((i) => predictions[i]),
    baselineRmse: rmseOf(() => mean),
    reloadedIdentical: again.every((value, i) => value === predictions[i]),
    reloadError,
    minusOne,
    plusOne,
    missing,
    freedPredictError,
    contributionsError,
  };
}

probe().then(
  (report) => parentPort?.postMessage({ report }),
  (err: Error) => parentPort?.postMessage({ error: err.stack ?? String(err) }),
);
