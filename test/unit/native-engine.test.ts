import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Engine } from '../../src/engines/engine';
import { loadNativeEngine, nativeHandleCounts, parseValidationRmse } from '../../src/engines/native-engine';
import {
  findNativeLibrary,
  nativeLibraryCandidates,
  openXGBoostLibrary,
} from '../../src/engines/native-library';
import { describeEngineAvailability, resolveEngineName } from '../../src/engines/select-engine';
import type { XGBoostParams } from '../../src/contracts/domain';
import { sliceRows, syntheticRegression } from '../support/synthetic-regression';

const PARAMS: XGBoostParams = {
  n_estimators: 60,
  max_depth: 4,
  learning_rate: 0.2,
  gamma: 0,
  reg_alpha: 0,
  reg_lambda: 1,
  subsample: 1,
  colsample_bytree: 1,
  seed: 7,
};

const whole = syntheticRegression({ rows: 4000, cols: 8, noise: 0.5, seed: 11 });
const train = sliceRows(whole, 0, 3000);
const validation = sliceRows(whole, 3000, 4000);

function rmse(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < yTrue.length; i++) sum += (yTrue[i] - yPred[i]) ** 2;
  return Math.sqrt(sum / yTrue.length);
}

function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

/** Python interpreters that can import xgboost, with the version each has. */
function pythonXGBoosts(): Array<{ python: string; version: string }> {
  const found = new Map<string, { python: string; version: string }>();
  for (const python of ['/usr/bin/python3', 'python3']) {
    const result = spawnSync(python, ['-c', 'import xgboost; print(xgboost.__version__)'], {
      encoding: 'utf8',
    });
    const version = result.status === 0 ? result.stdout.trim() : '';
    if (version && !found.has(version)) found.set(version, { python, version });
  }
  return [...found.values()];
}

const PYTHON_PREDICT = `
import sys, numpy as np, xgboost as xgb
model, features, rows, cols, out = sys.argv[1:]
x = np.fromfile(features, dtype=np.float32).reshape(int(rows), int(cols))
booster = xgb.Booster()
booster.load_model(model)
booster.predict(xgb.DMatrix(x, missing=np.nan)).astype(np.float32).tofile(out)
`;

describe('native engine', function () {
  let engine: Engine;
  let tmp: string;

  before(function () {
    expect(findNativeLibrary(), 'libxgboost must be installed (apt-get install libxgboost0)').to.not.equal(
      undefined,
    );
    engine = loadNativeEngine();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'native-engine-'));
  });

  after(function () {
    rmSync(tmp, { recursive: true, force: true });
  });

  it('reports the library version', function () {
    expect(engine.name).to.equal('native');
    expect(engine.version).to.match(/^\d+\.\d+\.\d+$/);
    expect(engine.version).to.equal(findNativeLibrary()?.version);
  });

  it('learns much better than predicting the mean', function () {
    const model = engine.train({ train: train.x, trainLabels: train.y, params: PARAMS, nthread: 1 });
    try {
      const predictions = model.predict(validation.x);
      expect(predictions).to.have.length(validation.x.rows);
      const baseline = rmse(validation.y, new Float32Array(validation.y.length).fill(mean(train.y)));
      expect(rmse(validation.y, predictions)).to.be.lessThan(0.3 * baseline);
      expect(model.rounds).to.equal(PARAMS.n_estimators);
      expect(model.bestIteration).to.equal(undefined);
    } finally {
      model.free();
    }
  });

  it('reports progress with the validation RMSE, which falls', function () {
    const seen: Array<{ round: number; validationRmse?: number }> = [];
    const model = engine.train({
      ...{ train: train.x, trainLabels: train.y, validation: validation.x, validationLabels: validation.y },
      params: PARAMS,
      nthread: 1,
      onProgress: (p) => {
        seen.push(p);
      },
    });
    model.free();
    expect(seen.map((p) => p.round)).to.deep.equal(
      Array.from({ length: PARAMS.n_estimators }, (_, i) => i + 1),
    );
    expect(seen[seen.length - 1].validationRmse).to.be.lessThan(seen[0].validationRmse ?? 0);
  });

  it("stops cleanly when onProgress returns 'stop' (pruning) and returns the model trained so far", function () {
    const before = nativeHandleCounts();
    let last = 0;
    const model = engine.train({
      ...{ train: train.x, trainLabels: train.y, validation: validation.x, validationLabels: validation.y },
      params: PARAMS,
      nthread: 1,
      onProgress: (p) => {
        last = p.round;
        return p.round === 15 ? 'stop' : undefined;
      },
    });
    try {
      expect(last).to.equal(15);
      expect(model.rounds).to.equal(15);
      const predictions = model.predict(validation.x);
      expect(rmse(validation.y, predictions)).to.be.lessThan(
        0.9 *
          rmse(
            validation.y,
            validation.y.map(() => mean(train.y)),
          ),
      );
    } finally {
      model.free();
    }
    expect(nativeHandleCounts()).to.deep.equal(before);
  });

  it('stops early on noisy data and keeps only the trees up to the best iteration', function () {
    const noisy = syntheticRegression({ rows: 3000, cols: 8, noise: 8, seed: 5 });
    const noisyTrain = sliceRows(noisy, 0, 2000);
    const noisyValidation = sliceRows(noisy, 2000, 3000);
    const params = { ...PARAMS, n_estimators: 2000, learning_rate: 0.3, max_depth: 6 };
    let trained = 0;
    const model = engine.train({
      train: noisyTrain.x,
      trainLabels: noisyTrain.y,
      validation: noisyValidation.x,
      validationLabels: noisyValidation.y,
      params,
      nthread: 1,
      earlyStoppingRounds: 10,
      onProgress: (p) => {
        trained = p.round;
      },
    });
    try {
      expect(trained).to.be.lessThan(200);
      expect(model.bestIteration).to.be.a('number');
      expect(model.rounds).to.equal((model.bestIteration ?? -1) + 1);
      expect(trained).to.equal(model.rounds + 10);
      const reloaded = engine.load(model.save());
      try {
        expect(reloaded.rounds).to.equal(model.rounds);
        expect(reloaded.predict(noisyValidation.x)).to.deep.equal(model.predict(noisyValidation.x));
      } finally {
        reloaded.free();
      }
    } finally {
      model.free();
    }
  });

  it('saves to JSON and loads a model that predicts identically', function () {
    const model = engine.train({ train: train.x, trainLabels: train.y, params: PARAMS, nthread: 2 });
    const saved = model.save();
    const expected = model.predict(validation.x);
    model.free();
    expect(JSON.parse(saved.toString('utf8'))).to.have.nested.property('learner.gradient_booster');
    const loaded = engine.load(saved);
    try {
      expect(loaded.rounds).to.equal(PARAMS.n_estimators);
      expect(loaded.predict(validation.x)).to.deep.equal(expected);
    } finally {
      loaded.free();
    }
  });

  it('limits a loaded model to its first rounds', function () {
    const full = engine.train({ train: train.x, trainLabels: train.y, params: PARAMS, nthread: 1 });
    const short = engine.train({
      train: train.x,
      trainLabels: train.y,
      params: { ...PARAMS, n_estimators: 5 },
      nthread: 1,
    });
    const limited = engine.load(full.save(), 5);
    try {
      expect(limited.rounds).to.equal(5);
      expect(limited.predict(validation.x)).to.deep.equal(short.predict(validation.x));
      expect(() => engine.load(full.save(), PARAMS.n_estimators + 1)).to.throw(RangeError, /rounds/);
    } finally {
      for (const model of [full, short, limited]) model.free();
    }
  });

  it('treats NaN features as missing', function () {
    const model = engine.train({ train: train.x, trainLabels: train.y, params: PARAMS, nthread: 1 });
    try {
      const x = {
        data: new Float32Array(validation.x.data.subarray(0, 8)).fill(Number.NaN),
        rows: 1,
        cols: 8,
      };
      expect(Number.isFinite(model.predict(x)[0])).to.equal(true);
    } finally {
      model.free();
    }
  });

  it('trains the same trees from a QuantileDMatrix as from a dense DMatrix, weights and missing values included', function () {
    const library = openXGBoostLibrary(findNativeLibrary()?.path ?? '');
    const [major, minor] = library.version.split('.').map(Number);
    expect(library.quantile !== undefined, 'XGBoost >= 1.7 builds a QuantileDMatrix').to.equal(
      major > 1 || minor >= 7,
    );
    const dense = loadNativeEngine(undefined, { trainingMatrix: 'dense' });
    const x = { ...train.x, data: new Float32Array(train.x.data) };
    for (let i = 0; i < x.data.length; i += 7) x.data[i] = Number.NaN;
    const weights = new Float32Array(train.x.rows).map((_, row) => 0.2 + (row % 5));
    const params = { ...PARAMS, subsample: 0.8, colsample_bytree: 0.8 };
    const request = { train: x, trainLabels: train.y, trainWeights: weights, params, nthread: 2 };
    const before = nativeHandleCounts();
    const fromQuantile = engine.train(request);
    const fromDense = dense.train(request);
    const unweighted = engine.train({ ...request, trainWeights: undefined });
    try {
      const predictions = fromQuantile.predict(validation.x);
      expect(Array.from(predictions)).to.deep.equal(Array.from(fromDense.predict(validation.x)));
      expect(fromQuantile.save().equals(fromDense.save())).to.equal(true);
      expect(Array.from(unweighted.predict(validation.x)), 'the weights reach XGBoost').to.not.deep.equal(
        Array.from(predictions),
      );
    } finally {
      for (const model of [fromQuantile, fromDense, unweighted]) model.free();
    }
    expect(nativeHandleCounts(), 'proxies and matrices freed').to.deep.equal(before);
  });

  it('predicts in place exactly as through a DMatrix: missing values, a view into a larger buffer, limited rounds', function () {
    const library = openXGBoostLibrary(findNativeLibrary()?.path ?? '');
    const { api } = library;
    const trained = engine.train({ train: train.x, trainLabels: train.y, params: PARAMS, nthread: 1 });
    const saved = trained.save();
    trained.free();
    const rounds = 23;
    const model = engine.load(saved, rounds);
    // Rows 1..n of a copy: the view starts 8 columns (32 bytes) into its buffer.
    const padded = new Float32Array(validation.x.data.length + 8);
    padded.set(validation.x.data, 8);
    for (let i = 8; i < padded.length; i += 5) padded[i] = Number.NaN;
    const x = { rows: validation.x.rows, cols: 8, data: padded.subarray(8) };

    const booster: Array<bigint | null> = [null];
    const dmatrix: Array<bigint | null> = [null];
    library.check(api.XGBoosterCreate([], 0, booster), 'create');
    try {
      library.check(api.XGBoosterLoadModelFromBuffer(booster[0] as bigint, saved, saved.length), 'load');
      library.check(
        api.XGDMatrixCreateFromMat_omp(x.data, x.rows, x.cols, Number.NaN, dmatrix, 1),
        'dmatrix',
      );
      const config = `{"type":0,"training":false,"iteration_begin":0,"iteration_end":${rounds},"strict_shape":false}`;
      const shape: Array<bigint | null> = [null];
      const dim = [0];
      const result: Array<bigint | null> = [null];
      library.check(
        api.XGBoosterPredictFromDMatrix(
          booster[0] as bigint,
          dmatrix[0] as bigint,
          config,
          shape,
          dim,
          result,
        ),
        'predict',
      );
      const throughDMatrix = library.copyFloats(result[0] as bigint, x.rows);
      const inPlace = model.predict(x);
      expect(inPlace).to.have.length(x.rows);
      expect(Array.from(inPlace)).to.deep.equal(Array.from(throughDMatrix));
      expect(Array.from(model.predict(validation.x)), 'the NaNs and the offset matter').to.not.deep.equal(
        Array.from(inPlace),
      );
    } finally {
      if (dmatrix[0] !== null) library.check(api.XGDMatrixFree(dmatrix[0]), 'free dmatrix');
      library.check(api.XGBoosterFree(booster[0] as bigint), 'free booster');
      model.free();
    }
  });

  describe('bad input', function () {
    let before: { dmatrices: number; boosters: number };
    beforeEach(function () {
      before = nativeHandleCounts();
    });
    afterEach(function () {
      expect(nativeHandleCounts(), 'every native handle is freed').to.deep.equal(before);
    });

    it('rejects a data length that does not match rows x cols', function () {
      const x = { ...train.x, rows: train.x.rows + 1 };
      expect(() => engine.train({ train: x, trainLabels: train.y, params: PARAMS, nthread: 1 })).to.throw(
        RangeError,
        /train: data has 24000 values, expected rows x cols = 24008/,
      );
    });

    it('rejects labels that do not match the rows', function () {
      const labels = train.y.subarray(1);
      expect(() =>
        engine.train({ train: train.x, trainLabels: labels, params: PARAMS, nthread: 1 }),
      ).to.throw(RangeError, /2999 labels for 3000 rows/);
    });

    it("passes on XGBoost's error for NaN labels, without its stack trace", function () {
      const labels = new Float32Array(train.y);
      labels[10] = Number.NaN;
      let error: Error | undefined;
      try {
        engine.train({ train: train.x, trainLabels: labels, params: PARAMS, nthread: 1 });
      } catch (err) {
        error = err as Error;
      }
      expect(error?.message).to.match(/XGBoost setting labels failed: .*Label contains NaN/);
      expect(error?.message).to.not.include('Stack trace');
    });

    it("passes on XGBoost's error for an out-of-range parameter", function () {
      expect(() =>
        engine.train({
          train: validation.x,
          trainLabels: validation.y,
          validation: validation.x,
          validationLabels: validation.y,
          params: { ...PARAMS, subsample: 2 },
          nthread: 1,
        }),
      ).to.throw(/XGBoost XGBoosterUpdateOneIter\(0\) failed: .*subsample/);
    });

    it('rejects non-finite parameters before XGBoost sees them', function () {
      const params = { ...PARAMS, learning_rate: Number.NaN };
      expect(() => engine.train({ train: train.x, trainLabels: train.y, params, nthread: 1 })).to.throw(
        RangeError,
        /learning_rate must be a finite number/,
      );
    });

    it('stops and frees everything when onProgress throws', function () {
      const onProgress = ({ round }: { round: number }): void => {
        if (round === 3) throw new Error('cancelled by test');
      };
      expect(() =>
        engine.train({
          train: train.x,
          trainLabels: train.y,
          validation: validation.x,
          validationLabels: validation.y,
          params: PARAMS,
          nthread: 1,
          onProgress,
        }),
      ).to.throw('cancelled by test');
    });

    it('rejects a model that is not XGBoost JSON', function () {
      expect(() => engine.load(Buffer.from('{"nope": 1}'))).to.throw(/XGBoosterLoadModelFromBuffer failed/);
    });

    it('refuses to use a freed model; free twice is harmless', function () {
      const model = engine.train({
        train: validation.x,
        trainLabels: validation.y,
        params: PARAMS,
        nthread: 1,
      });
      model.free();
      model.free();
      expect(() => model.predict(validation.x)).to.throw(/freed/);
    });
  });

  it('parses evaluation strings of XGBoost 1.x and 3.x', function () {
    expect(parseValidationRmse('[3]\tvalidation-rmse:123.4')).to.equal(123.4);
    expect(parseValidationRmse('[0]\tvalidation-rmse:5.13828322150485661')).to.be.closeTo(5.138283, 1e-6);
    expect(Number.isNaN(parseValidationRmse('[9]\tvalidation-rmse:-nan'))).to.equal(true);
    expect(() => parseValidationRmse('[3]\ttrain-rmse:1')).to.throw(/Cannot read the validation RMSE/);
  });

  it("saves JSON that Python's xgboost loads and predicts identically (within 1e-3)", function () {
    const pythons = pythonXGBoosts();
    const hint = 'no Python with xgboost: apt-get install python3-xgboost (or pip install xgboost)';
    expect(pythons.length, hint).to.be.greaterThan(0);
    const model = engine.train({
      train: train.x,
      trainLabels: train.y,
      validation: validation.x,
      validationLabels: validation.y,
      params: { ...PARAMS, n_estimators: 400, learning_rate: 0.3 },
      nthread: 1,
      earlyStoppingRounds: 5,
    });
    const modelPath = path.join(tmp, 'model.json');
    const featuresPath = path.join(tmp, 'features.f32');
    writeFileSync(modelPath, model.save());
    writeFileSync(featuresPath, validation.x.data);
    const expected = model.predict(validation.x);
    model.free();
    for (const { python, version } of pythons) {
      const outPath = path.join(tmp, `predictions-${version}.f32`);
      const args = ['-c', PYTHON_PREDICT, modelPath, featuresPath, String(validation.x.rows), '8', outPath];
      const result = spawnSync(python, args, { encoding: 'utf8' });
      expect(result.status, `${python} (xgboost ${version}): ${result.stderr}`).to.equal(0);
      const bytes = readFileSync(outPath);
      const actual = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
      expect(actual).to.have.length(expected.length);
      const worst = actual.reduce((max, value, i) => Math.max(max, Math.abs(value - expected[i])), 0);
      expect(worst, `xgboost ${version}`).to.be.lessThan(1e-3);
    }
  });

  it('honours XGBOOST_LIBRARY_PATH; models load in the same or a newer XGBoost and are refused by an older one', function () {
    const libraries = [...nativeLibraryCandidates({})];
    expect(libraries.length).to.be.greaterThan(0);
    const featuresPath = path.join(tmp, 'cross-features.f32');
    const labelsPath = path.join(tmp, 'cross-labels.f32');
    writeFileSync(featuresPath, train.x.data);
    writeFileSync(labelsPath, train.y);
    // Trains with the library named by XGBOOST_LIBRARY_PATH, saves, and predicts with the reloaded model.
    const script = `
      const fs = require('node:fs');
      const { findNativeLibrary } = require(${JSON.stringify(require.resolve('../../src/engines/native-library'))});
      const { loadNativeEngine } = require(${JSON.stringify(require.resolve('../../src/engines/native-engine'))});
      const floats = (file) => { const b = fs.readFileSync(file); return new Float32Array(b.buffer, b.byteOffset, b.length / 4); };
      const [features, labels, modelPath, predictionsPath] = process.argv.slice(1);
      const engine = loadNativeEngine();
      const trained = engine.train({
        train: { data: floats(features), rows: ${train.x.rows}, cols: 8 }, trainLabels: floats(labels),
        params: ${JSON.stringify(PARAMS)}, nthread: 1 });
      fs.writeFileSync(modelPath, trained.save());
      const reloaded = engine.load(fs.readFileSync(modelPath));
      fs.writeFileSync(predictionsPath, reloaded.predict({ data: floats(features), rows: ${train.x.rows}, cols: 8 }));
      process.stdout.write(JSON.stringify(findNativeLibrary()));`;
    libraries.forEach((library, i) => {
      const modelPath = path.join(tmp, `cross-${i}.json`);
      const predictionsPath = path.join(tmp, `cross-${i}.f32`);
      const env = { ...process.env, XGBOOST_LIBRARY_PATH: library };
      const args = ['-e', script, featuresPath, labelsPath, modelPath, predictionsPath];
      const result = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
      expect(result.status, result.stderr).to.equal(0);
      const found = JSON.parse(result.stdout) as { path: string; version: string };
      expect(found.path).to.equal(library);
      const [major, minor] = found.version.split('.').map(Number);
      const [ownMajor, ownMinor] = engine.version.split('.').map(Number);
      if (major > ownMajor || (major === ownMajor && minor > ownMinor)) {
        expect(() => engine.load(readFileSync(modelPath))).to.throw(`saved by XGBoost ${found.version}`);
        return;
      }
      const bytes = readFileSync(predictionsPath);
      const expected = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
      const loaded = engine.load(readFileSync(modelPath));
      try {
        const actual = loaded.predict(train.x);
        const worst = actual.reduce((max, value, j) => Math.max(max, Math.abs(value - expected[j])), 0);
        expect(worst, `${library} (${found.version})`).to.be.lessThan(1e-3);
      } finally {
        loaded.free();
      }
    });
  });

  it('falls back to wasm for "auto" and explains how to install the library for "native"', function () {
    const script = `
      const { probeNativeLibrary } = require(${JSON.stringify(require.resolve('../../src/engines/native-library'))});
      const select = require(${JSON.stringify(require.resolve('../../src/engines/select-engine'))});
      let nativeError;
      try { select.resolveEngineName('native'); } catch (err) { nativeError = err.message; }
      process.stdout.write(JSON.stringify({
        probe: probeNativeLibrary(), auto: select.resolveEngineName('auto'), nativeError,
        description: select.describeEngineAvailability() }));`;
    const env = { ...process.env, XGBOOST_LIBRARY_PATH: '/nonexistent/libxgboost.so' };
    const result = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8' });
    expect(result.status, result.stderr).to.equal(0);
    const { probe, auto, nativeError, description } = JSON.parse(result.stdout);
    expect(probe.found).to.equal(undefined);
    expect(probe.rejected).to.have.length(1);
    expect(probe.rejected[0].reason).to.match(/Cannot load XGBoost library \/nonexistent\/libxgboost.so/);
    expect(auto).to.equal('wasm');
    expect(nativeError).to.include('apt-get install libxgboost0').and.include('pip install xgboost');
    expect(nativeError).to.include('XGBOOST_LIBRARY_PATH').and.include('/nonexistent/libxgboost.so');
    expect(description).to.match(/native unavailable .*; wasm .*; auto = wasm/);
  });

  it('picks native for "auto" when the library is there', function () {
    expect(resolveEngineName('auto')).to.equal('native');
    expect(resolveEngineName('native')).to.equal('native');
    expect(resolveEngineName('wasm')).to.equal('wasm');
    expect(describeEngineAvailability()).to.match(/^native XGBoost \d+\.\d+\.\d+ at .*auto = native$/);
  });
});
