import { expect } from 'chai';
import { loadNativeEngine } from '../../src/engines/native-engine';
import { parseLocalDateTime } from '../../src/data/local-date-time';
import { assertHalfLife, recencyWeights, timeInYears } from '../../src/features/recency-weights';
import { rowTimesOf } from '../../src/features/row-times';
import type { XGBoostParams } from '../../src/contracts/domain';

describe('recency weights', () => {
  it('halve every half-life of age from the newest row, scaled to a mean of 1', () => {
    const weights = recencyWeights([2014, 2015, 2016], 1);
    // Raw 0.25, 0.5, 1 → mean 7/12.
    const scale = 3 / 1.75;
    expect(Array.from(weights)).to.deep.equal([0.25 * scale, 0.5 * scale, scale].map(Math.fround));
    const mean = weights.reduce((s, w) => s + w, 0) / weights.length;
    expect(mean).to.be.closeTo(1, 1e-6);
    expect(weights[1] / weights[0]).to.be.closeTo(2, 1e-6);
    // Order does not matter: the newest row weighs most wherever it is.
    const shuffled = recencyWeights([2016, 2014], 2);
    expect(shuffled[0] / shuffled[1]).to.be.closeTo(2, 1e-6);
  });

  it('measures a row’s time in years and refuses a half-life that is not a positive number', () => {
    const t = (s: string) => timeInYears(parseLocalDateTime(s));
    expect(t('2016-01-01 00:00:00') - t('2015-01-01 00:00:00')).to.be.closeTo(365 / 365.2425, 1e-9);
    expect(t('2015-01-01 12:00:00') - t('2015-01-01 00:00:00')).to.be.closeTo(0.5 / 365.2425, 1e-9);
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => assertHalfLife(bad)).to.throw(/positive number of years/);
      expect(() => recencyWeights([1, 2], bad)).to.throw(/positive number of years/);
    }
    const row = (text: string) => ({ date_time: parseLocalDateTime(text) }) as never;
    const times = rowTimesOf({
      train: [row('2014-06-01 00:00:00')],
      earlyStopping: [],
      validation: [row('2015-06-01 00:00:00')],
    });
    expect(times.validation[0] - times.train[0]).to.be.closeTo(1, 0.01);
  });

  it('reach the native engine: rows of weight 0 do not shape the model', () => {
    const engine = loadNativeEngine();
    // Two groups with the same feature value but different labels: the weights decide which one the model fits.
    const rows = 200;
    const data = new Float32Array(rows).fill(1);
    const labels = Float32Array.from({ length: rows }, (_, i) => (i < rows / 2 ? 100 : 500));
    const params: XGBoostParams = {
      n_estimators: 50,
      max_depth: 2,
      learning_rate: 0.5,
      gamma: 0,
      reg_alpha: 0,
      reg_lambda: 0,
      subsample: 1,
      colsample_bytree: 1,
      seed: 1,
    };
    const predictWith = (trainWeights?: Float32Array) => {
      const model = engine.train({
        train: { data, rows, cols: 1 },
        trainLabels: labels,
        params,
        nthread: 1,
        ...(trainWeights ? { trainWeights } : {}),
      });
      try {
        return model.predict({ data: new Float32Array([1]), rows: 1, cols: 1 })[0];
      } finally {
        model.free();
      }
    };
    expect(predictWith()).to.be.closeTo(300, 5);
    const newerOnly = Float32Array.from({ length: rows }, (_, i) => (i < rows / 2 ? 0 : 2));
    expect(predictWith(newerOnly)).to.be.closeTo(500, 5);
    expect(() => predictWith(new Float32Array(3))).to.throw(/3 weights for 200 rows/);
    expect(() => predictWith(new Float32Array(rows).fill(-1))).to.throw(/non-negative/);
  });
});
