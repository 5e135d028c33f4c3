import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { TrainedModel } from '../../src/engines/engine';
import { loadNativeEngine } from '../../src/engines/native-engine';
import { sliceRows, syntheticRegression } from '../support/synthetic-regression';

const PYTHON_CONTRIBS = `
import sys, numpy as np, xgboost as xgb
model, features, rows, cols, out = sys.argv[1:]
x = np.fromfile(features, dtype=np.float32).reshape(int(rows), int(cols))
booster = xgb.Booster()
booster.load_model(model)
booster.predict(xgb.DMatrix(x, missing=np.nan), pred_contribs=True).astype(np.float32).tofile(out)
print(xgb.__version__)
`;

describe('native engine: TreeSHAP contributions', function () {
  const whole = syntheticRegression({ rows: 3000, cols: 6, noise: 0.5, seed: 21 });
  const train = sliceRows(whole, 0, 2500);
  const validation = sliceRows(whole, 2500, 3000);
  let model: TrainedModel;
  let tmp: string;

  before(function () {
    const engine = loadNativeEngine();
    model = engine.train({
      train: train.x,
      trainLabels: train.y,
      validation: validation.x,
      validationLabels: validation.y,
      params: {
        n_estimators: 120,
        max_depth: 5,
        learning_rate: 0.2,
        gamma: 0,
        reg_alpha: 0,
        reg_lambda: 1,
        subsample: 0.9,
        colsample_bytree: 0.8,
        seed: 3,
      },
      nthread: 1,
      earlyStoppingRounds: 10,
    });
    tmp = mkdtempSync(path.join(os.tmpdir(), 'native-shap-'));
  });

  after(function () {
    model.free();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('gives one value per feature plus the bias, summing to the prediction (1e-3)', function () {
    const { x } = validation;
    const contributions = model.contributions(x);
    const predictions = model.predict(x);
    expect(contributions).to.have.length(x.rows * (x.cols + 1));
    let worst = 0;
    for (let r = 0; r < x.rows; r++) {
      let sum = 0;
      for (let c = 0; c <= x.cols; c++) sum += contributions[r * (x.cols + 1) + c];
      worst = Math.max(worst, Math.abs(sum - predictions[r]) / Math.max(1, Math.abs(predictions[r])));
    }
    expect(worst).to.be.lessThan(1e-3);
    // The synthetic target depends on the features: some contributions must be far from zero.
    expect(contributions.some((v) => Math.abs(v) > 0.1)).to.equal(true);
  });

  it("equals Python xgboost's predict(pred_contribs=True) on the saved model", function () {
    const modelPath = path.join(tmp, 'model.json');
    const featuresPath = path.join(tmp, 'features.f32');
    const outPath = path.join(tmp, 'contribs.f32');
    writeFileSync(modelPath, model.save());
    writeFileSync(featuresPath, validation.x.data);
    const args = ['-c', PYTHON_CONTRIBS, modelPath, featuresPath, String(validation.x.rows), '6', outPath];
    const result = spawnSync('/usr/bin/python3', args, { encoding: 'utf8' });
    const hint = 'needs python3-xgboost (apt-get install python3-xgboost)';
    expect(result.status, `${hint}: ${result.stderr}`).to.equal(0);
    const bytes = readFileSync(outPath);
    const python = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    const ours = model.contributions(validation.x);
    expect(python).to.have.length(ours.length);
    const worst = python.reduce((max, value, i) => Math.max(max, Math.abs(value - ours[i])), 0);
    expect(worst, `xgboost ${result.stdout.trim()}`).to.be.lessThan(1e-3);
  });

  it('refuses a freed model', function () {
    const engine = loadNativeEngine();
    const reloaded = engine.load(model.save());
    reloaded.free();
    expect(() => reloaded.contributions(validation.x)).to.throw(/freed/);
  });
});
