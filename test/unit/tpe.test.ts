import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { createSampler } from '../../src/search/create-sampler';
import { forgettingWeights } from '../../src/search/parzen-estimator';
import { createRandomSampler, type Observation, type Sampler } from '../../src/search/sampler';
import { SEARCH_SPACE, type SampledParam } from '../../src/search/search-space';
import { createTpeSampler } from '../../src/search/tpe';
import type { XGBoostParams } from '../../src/contracts/domain';

const OPTIMUM = {
  n_estimators: 600,
  max_depth: 7,
  learning_rate: 0.08,
  subsample: 0.85,
  colsample_bytree: 0.6,
  gamma: 0.2,
  reg_alpha: 0.1,
  reg_lambda: 0.5,
};

/** A quadratic bowl around OPTIMUM, each dimension scaled to its range (log dimensions in log space). */
function quadratic(p: XGBoostParams): number {
  let loss = 0;
  for (const name of Object.keys(SEARCH_SPACE) as SampledParam[]) {
    const d = SEARCH_SPACE[name];
    const at = (v: number) => (d.kind === 'loguniform' ? Math.log(v) : v);
    loss += ((at(p[name]) - at(OPTIMUM[name])) / (d.high - d.low)) ** 2;
  }
  return loss;
}

/** A sequential search: every trial sees all earlier ones. */
function search(sampler: Sampler, trials: number, loss = quadratic): Observation[] {
  const observations: Observation[] = [];
  for (let index = 0; index < trials; index++) {
    const params = sampler.propose(index, observations);
    observations.push({ index, params, loss: loss(params) });
  }
  return observations;
}

function expectInSpace(p: XGBoostParams): void {
  for (const name of Object.keys(SEARCH_SPACE) as SampledParam[]) {
    const d = SEARCH_SPACE[name];
    const v = p[name];
    if (d.kind === 'loguniform') {
      expect(Math.log(v), name).to.be.within(d.low - 1e-12, d.high + 1e-12);
    } else {
      expect(v, name).to.be.within(d.low, d.high);
    }
    if (d.kind === 'quniform') expect(v % d.q, `${name} on its grid`).to.equal(0);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe('TPE sampler', () => {
  const history = search(createRandomSampler(5), 30);

  it('proposes the same params for the same seed, index and observations, in any order', () => {
    const a = createTpeSampler(42, { startupTrials: 10 });
    const b = createTpeSampler(42, { startupTrials: 10 });
    expect(a.propose(30, history)).to.deep.equal(b.propose(30, history));
    expect(a.propose(30, [...history].reverse())).to.deep.equal(a.propose(30, history));
    expect(a.propose(30, history)).to.not.deep.equal(a.propose(31, history));
    expect(a.propose(30, history)).to.not.deep.equal(
      createTpeSampler(43, { startupTrials: 10 }).propose(30, history),
    );
  });

  it('is random search during start-up: the random sampler’s draws, whatever the observations', () => {
    const tpe = createTpeSampler(7, { startupTrials: 20 });
    const random = createRandomSampler(7);
    for (let i = 0; i < 20; i++)
      expect(tpe.propose(i, history.slice(0, i))).to.deep.equal(random.propose(i, []));
    expect(tpe.propose(20, history.slice(0, 20))).to.not.deep.equal(random.propose(20, []));
  });

  it('starts with 20 random trials, or a fifth of a smaller budget (at least 5)', () => {
    const random = createRandomSampler(3);
    const same = (a: XGBoostParams, b: XGBoostParams) => JSON.stringify(a) === JSON.stringify(b);
    const randomUntil = (sampler: Sampler) => {
      let i = 0;
      while (i < 30 && same(sampler.propose(i, history.slice(0, i)), random.propose(i, []))) i++;
      return i;
    };
    expect(randomUntil(createTpeSampler(3))).to.equal(20);
    expect(randomUntil(createTpeSampler(3, { budget: 50 }))).to.equal(10);
    expect(randomUntil(createTpeSampler(3, { budget: 12 }))).to.equal(5);
    expect(randomUntil(createTpeSampler(3, { budget: 1000 }))).to.equal(20);
  });

  for (const multivariate of [true, false]) {
    const label = multivariate ? 'multivariate' : 'per dimension';

    it(`${label}: keeps every proposal inside the space and quantised values on their grid`, () => {
      const sampler = createTpeSampler(11, { startupTrials: 5, multivariate });
      for (const o of search(sampler, 60)) expectInSpace(o.params);
    });

    it(`${label}: concentrates near the optimum of a quadratic, far better than random search`, () => {
      const tpe = search(createTpeSampler(1, { startupTrials: 10, multivariate }), 80);
      const random = search(createRandomSampler(1), 80);
      const lastLosses = (obs: Observation[]) => obs.slice(40).map((o) => o.loss);
      expect(median(lastLosses(tpe))).to.be.below(0.5 * median(lastLosses(random)));
      expect(Math.min(...tpe.map((o) => o.loss))).to.be.below(Math.min(...random.map((o) => o.loss)));
    });
  }

  it('multivariate and per-dimension proposals differ once TPE starts', () => {
    const joint = createTpeSampler(9, { startupTrials: 10, multivariate: true });
    const split = createTpeSampler(9, { startupTrials: 10, multivariate: false });
    expect(joint.propose(30, history)).to.not.deep.equal(split.propose(30, history));
  });

  it('ranks pruned trials after every complete one: their low losses do not attract proposals', () => {
    // Complete trials are good at small learning rates; pruned trials report lower (partial) losses at large ones.
    const observations: Observation[] = search(
      createRandomSampler(21),
      60,
      (p) => Math.log(p.learning_rate) + 3,
    ).map((o) =>
      o.params.learning_rate > 0.3 ? { ...o, loss: -10 - o.params.learning_rate, pruned: true } : o,
    );
    expect(observations.filter((o) => o.pruned).length).to.be.greaterThan(5);
    const sampler = createTpeSampler(2, { startupTrials: 10 });
    const proposals = Array.from(
      { length: 30 },
      (_, i) => sampler.propose(60 + i, observations).learning_rate,
    );
    expect(median(proposals)).to.be.below(0.15);
    // The same losses, not pruned, pull proposals to the large learning rates.
    const unpruned = observations.map((o) => ({ ...o, pruned: false }));
    const pulled = Array.from({ length: 30 }, (_, i) => sampler.propose(60 + i, unpruned).learning_rate);
    expect(median(pulled)).to.be.above(0.3);
  });

  it('rejects options that cannot work, naming them', () => {
    expect(() => createTpeSampler(1, { gamma: 0 })).to.throw('tpe gamma must be a number in (0, 1], got 0');
    expect(() => createTpeSampler(1, { candidates: 2.5 })).to.throw('tpe candidates must be an integer ≥ 1');
    expect(() => createTpeSampler(1, { startupTrials: 0 })).to.throw('tpe startupTrials');
    expect(() => createTpeSampler(1, { priorWeight: -1 })).to.throw('tpe priorWeight');
  });

  it('weighs observations by linear forgetting beyond the newest 25', () => {
    expect(forgettingWeights(3)).to.deep.equal([1, 1, 1]);
    const w = forgettingWeights(30);
    expect(w).to.have.length(30);
    expect(w[0]).to.be.closeTo(1 / 30, 1e-12);
    expect(w.slice(5).every((x) => x === 1)).to.equal(true);
    expect(w[1]).to.be.above(w[0]);
  });
});

describe('sampler modules', () => {
  it('import only the project’s own pure modules (they are bundled into workflow code)', () => {
    for (const file of ['tpe.ts', 'parzen-estimator.ts', 'create-sampler.ts']) {
      const source = readFileSync(path.resolve(__dirname, '..', '..', '..', 'src', 'search', file), 'utf8');
      const from = [...source.matchAll(/^import (type )?[^;]*? from '([^']+)';/gms)];
      expect(from.length, file).to.be.greaterThan(0);
      for (const [, typeOnly, module] of from) {
        expect(typeOnly !== undefined || module.startsWith('./'), `${file} imports ${module}`).to.equal(true);
      }
      expect(source, file).to.not.match(/\brequire\(/);
    }
  });
});

describe('createSampler', () => {
  it('returns the random or the TPE sampler with its options', () => {
    expect(createSampler('random', 4).propose(3, history())).to.deep.equal(
      createRandomSampler(4).propose(3, []),
    );
    const tpe = createSampler('tpe', 4, { tpe: { startupTrials: 5 } });
    expect(tpe.kind).to.equal('tpe');
    expect(tpe.propose(12, history())).to.deep.equal(
      createTpeSampler(4, { startupTrials: 5 }).propose(12, history()),
    );
  });

  function history(): Observation[] {
    return search(createRandomSampler(8), 12);
  }
});
