import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { SEARCH_SPACE, createRng, sampleParams, trialParams } from '../../src/search/search-space';
import { validateParams } from '../../src/search/params';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const LOG_LOW = Math.exp(-3);

describe('search space', () => {
  it('is the seed hyperopt space', () => {
    expect(SEARCH_SPACE).to.deep.equal({
      n_estimators: { kind: 'quniform', low: 100, high: 1000, q: 50 },
      max_depth: { kind: 'quniform', low: 3, high: 10, q: 1 },
      learning_rate: { kind: 'loguniform', low: -3, high: 0 },
      subsample: { kind: 'uniform', low: 0.5, high: 1 },
      colsample_bytree: { kind: 'uniform', low: 0.5, high: 1 },
      gamma: { kind: 'loguniform', low: -3, high: 0 },
      reg_alpha: { kind: 'loguniform', low: -3, high: 0 },
      reg_lambda: { kind: 'loguniform', low: -3, high: 0 },
    });
  });

  it('draws the same params for the same seed and different ones for another seed', () => {
    const draw = (seed: number) => {
      const rng = createRng(seed);
      return Array.from({ length: 20 }, () => sampleParams(rng));
    };
    expect(draw(42)).to.deep.equal(draw(42));
    expect(draw(42)).to.not.deep.equal(draw(43));
  });

  it('resumes a sequence from rng.state()', () => {
    const a = createRng(7);
    for (let i = 0; i < 5; i++) a.next();
    const b = createRng(a.state());
    expect(Array.from({ length: 10 }, () => b.next())).to.deep.equal(
      Array.from({ length: 10 }, () => a.next()),
    );
  });

  it('draws uniform numbers in [0, 1)', () => {
    const rng = createRng(1);
    let sum = 0;
    for (let i = 0; i < 100_000; i++) {
      const u = rng.next();
      expect(u >= 0 && u < 1).to.equal(true);
      sum += u;
    }
    expect(sum / 100_000).to.be.closeTo(0.5, 0.01);
  });

  it('respects every bound and step over many samples, and covers the whole range', () => {
    const rng = createRng(12345);
    const estimators = new Set<number>();
    const depths = new Set<number>();
    const logLr: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const p = sampleParams(rng);
      expect(p.n_estimators % 50, `n_estimators ${p.n_estimators}`).to.equal(0);
      expect(p.n_estimators).to.be.within(100, 1000);
      expect(Number.isInteger(p.max_depth)).to.equal(true);
      expect(p.max_depth).to.be.within(3, 10);
      for (const name of ['learning_rate', 'gamma', 'reg_alpha', 'reg_lambda'] as const) {
        expect(p[name], name).to.be.within(LOG_LOW, 1);
      }
      expect(p.subsample).to.be.within(0.5, 1);
      expect(p.colsample_bytree).to.be.within(0.5, 1);
      expect(p).to.not.have.property('seed');
      expect(p).to.not.have.property('min_child_weight');
      estimators.add(p.n_estimators);
      depths.add(p.max_depth);
      logLr.push(Math.log(p.learning_rate));
    }
    expect([...estimators].sort((a, b) => a - b)).to.deep.equal(
      Array.from({ length: 19 }, (_, i) => 100 + 50 * i),
    );
    expect([...depths].sort((a, b) => a - b)).to.deep.equal([3, 4, 5, 6, 7, 8, 9, 10]);
    // log-uniform: log(learning_rate) is uniform on [-3, 0], so its mean is -1.5.
    expect(logLr.reduce((s, v) => s + v, 0) / logLr.length).to.be.closeTo(-1.5, 0.05);
  });

  it('derives each trial params from (seed, index) alone', () => {
    expect(trialParams(42, 3)).to.deep.equal(trialParams(42, 3));
    expect(trialParams(42, 3)).to.not.deep.equal(trialParams(42, 4));
    expect(trialParams(42, 3)).to.not.deep.equal(trialParams(43, 3));
    expect(validateParams(trialParams(42, 0))).to.deep.equal(trialParams(42, 0));
  });

  it('has no runtime imports (it is bundled into workflow code)', () => {
    const source = readFileSync(path.join(ROOT, 'src', 'search', 'search-space.ts'), 'utf8');
    const imports = source
      .split('\n')
      .filter((line) => /^\s*import\b/.test(line) || /\brequire\(/.test(line));
    expect(
      imports.every((line) => /^\s*import type\b/.test(line) || line.endsWith("from '../common/random';")),
      imports.join('\n'),
    ).to.equal(true);
  });
});

describe('validateParams', () => {
  const good = {
    n_estimators: 300,
    max_depth: 6,
    learning_rate: 0.1,
    gamma: 0.05,
    reg_alpha: 0.1,
    reg_lambda: 1,
    subsample: 0.8,
    colsample_bytree: 0.8,
  };

  it('accepts valid params, with optional min_child_weight and seed', () => {
    expect(validateParams(good)).to.deep.equal(good);
    expect(validateParams({ ...good, min_child_weight: 1, seed: 42 })).to.include({
      seed: 42,
      min_child_weight: 1,
    });
  });

  it('rejects bad values and unknown keys, naming the field', () => {
    expect(() => validateParams({ ...good, n_estimators: 10.5 })).to.throw(/n_estimators/);
    expect(() => validateParams({ ...good, subsample: 0 })).to.throw(/subsample/);
    expect(() => validateParams({ ...good, learning_rate: -1 })).to.throw(/learning_rate/);
    expect(() => validateParams({ ...good, max_dept: 6 })).to.throw(/max_dept/);
    const { gamma, ...missing } = good;
    void gamma;
    expect(() => validateParams(missing)).to.throw(/gamma/);
    expect(() => validateParams('x')).to.throw(/invalid XGBoost params/);
  });
});
