import { expect } from 'chai';
import { mae, r2, regressionMetrics, rmse } from '../../src/evaluation/metrics';

describe('regression metrics', () => {
  it('matches scikit-learn on a small example', () => {
    const m = regressionMetrics([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]);
    expect(m.rmse).to.be.closeTo(0.6123724356957945, 1e-15);
    expect(m.mae).to.be.closeTo(0.5, 1e-15);
    expect(m.r2).to.be.closeTo(0.9486081370449679, 1e-15);
  });

  it('accumulates in double precision for float32 inputs', () => {
    const n = 1_000_000;
    const yTrue = new Float32Array(n).fill(10000.1);
    const yPred = new Float32Array(n).fill(10000);
    const error = Math.fround(10000.1) - 10000; // 0.099609375 exactly
    expect(rmse(yTrue, yPred)).to.be.closeTo(error, 1e-12);
    expect(mae(yTrue, yPred)).to.be.closeTo(error, 1e-12);
  });

  it('handles a constant target as scikit-learn does', () => {
    expect(r2([5, 5, 5], [5, 5, 5])).to.equal(1);
    expect(r2([5, 5, 5], [5, 6, 5])).to.equal(0);
    expect(r2([1, 2, 3], [2, 2, 2])).to.equal(0);
    expect(r2([1, 2, 3], [3, 2, 1])).to.equal(-3);
  });

  it('rejects inputs of different or zero length', () => {
    expect(() => rmse([1, 2], [1])).to.throw(/differ in length/);
    expect(() => regressionMetrics([], [])).to.throw(/empty/);
  });
});
