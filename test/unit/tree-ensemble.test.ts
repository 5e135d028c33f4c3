import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { loadNativeEngine } from '../../src/engines/native-engine';
import { fitFeaturePipeline, targetVector, transformRows } from '../../src/features/features';
import { TreeEnsemble, UnsupportedTreeModelError } from '../../src/engines/tree-ensemble';
import { REAL_DIR, SAMPLE_DIR } from '../support/data-dirs';
import { sampleRows } from '../support/registered-models';

const real = fs.existsSync(path.join(REAL_DIR, 'Metro_Interstate_Traffic_Volume_2016.csv'));
const DATA_DIR = real ? REAL_DIR : SAMPLE_DIR;

describe(`trees evaluated in JavaScript equal the native engine (${real ? 'real' : 'sample'} data)`, function () {
  this.timeout(300_000);
  const engine = loadNativeEngine();
  const train = sampleRows([2012, 2013, 2014, 2015], DATA_DIR);
  const rows2016 = sampleRows([2016], DATA_DIR);
  const pipeline = fitFeaturePipeline({ rows: train });
  const x2016 = transformRows(pipeline, rows2016);
  const model = engine.train({
    train: transformRows(pipeline, train),
    trainLabels: targetVector(train),
    params: {
      n_estimators: 200,
      max_depth: 6,
      learning_rate: 0.3,
      gamma: 0,
      reg_alpha: 0,
      reg_lambda: 1,
      subsample: 1,
      colsample_bytree: 1,
    },
    nthread: 1,
  });
  const bytes = Buffer.from(model.save());
  after(() => model.free());

  const maxDifference = (a: Float32Array, b: Float32Array) => {
    expect(a.length).to.equal(b.length);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    return worst;
  };

  it('on every 2016 row, within 1e-3', () => {
    const reference = model.predict(x2016);
    const ours = TreeEnsemble.fromJson(bytes).predict(x2016);
    expect(rows2016.length).to.be.greaterThan(1000);
    expect(maxDifference(reference, ours)).to.be.at.most(1e-3);
  });

  it('with the first rounds only, as Engine.load(model, rounds) predicts', () => {
    const limited = engine.load(bytes, 50);
    try {
      const ours = TreeEnsemble.fromJson(bytes, 50).predict(x2016);
      expect(maxDifference(limited.predict(x2016), ours)).to.be.at.most(1e-3);
      expect(maxDifference(model.predict(x2016), ours)).to.be.greaterThan(1); // the rounds limit mattered
    } finally {
      limited.free();
    }
  });

  it('row by row from one buffer, with missing values taking the default branch', () => {
    const one = TreeEnsemble.fromJson(bytes);
    const withMissing = { ...x2016, data: Float32Array.from(x2016.data) };
    for (let r = 0; r < withMissing.rows; r += 7) withMissing.data[r * withMissing.cols + 1] = NaN;
    const reference = model.predict(withMissing);
    for (let r = 0; r < withMissing.rows; r += 97)
      expect(one.predictRow(withMissing.data, r * withMissing.cols)).to.be.closeTo(reference[r], 1e-3);
  });

  it('refuses a model it cannot evaluate rather than guessing', () => {
    const json = JSON.parse(bytes.toString('utf8'));
    json.learner.objective.name = 'reg:logistic';
    expect(() => TreeEnsemble.fromJson(JSON.stringify(json))).to.throw(UnsupportedTreeModelError);
  });
});
