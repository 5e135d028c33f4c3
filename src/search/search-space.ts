/**
 * The seed's hyperopt search space and a seeded PRNG to sample it.
 * Imported by Temporal workflow code: keep it pure, deterministic and free of runtime imports.
 */
import type { XGBoostParams } from '../contracts/domain';
import { createRng, type Rng } from '../common/random';

export { createRng, type Rng };

/** hyperopt's distributions, with hyperopt's own arguments (loguniform bounds are in log space). */
export type Dimension =
  | { kind: 'quniform'; low: number; high: number; q: number }
  | { kind: 'uniform'; low: number; high: number }
  | { kind: 'loguniform'; low: number; high: number };

export type SearchSpace = Readonly<Record<SampledParam, Dimension>>;
export type SampledParam =
  | 'n_estimators'
  | 'max_depth'
  | 'learning_rate'
  | 'subsample'
  | 'colsample_bytree'
  | 'gamma'
  | 'reg_alpha'
  | 'reg_lambda';

/**
 * Exactly the seed's `space` (XGBoostFinetuner and the notebook), in its key order, which is also the
 * sampling order. The seed sets no seed, min_child_weight or tree_method: XGBoost defaults apply.
 */
export const SEARCH_SPACE: SearchSpace = {
  n_estimators: { kind: 'quniform', low: 100, high: 1000, q: 50 },
  max_depth: { kind: 'quniform', low: 3, high: 10, q: 1 },
  learning_rate: { kind: 'loguniform', low: -3, high: 0 },
  subsample: { kind: 'uniform', low: 0.5, high: 1 },
  colsample_bytree: { kind: 'uniform', low: 0.5, high: 1 },
  gamma: { kind: 'loguniform', low: -3, high: 0 },
  reg_alpha: { kind: 'loguniform', low: -3, high: 0 },
  reg_lambda: { kind: 'loguniform', low: -3, high: 0 },
};

/** numpy/Python rounding (half to even), as hyperopt's quniform uses. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** hyperopt's quantisation: the nearest multiple of `q`. */
export function quantize(x: number, q: number): number {
  return roundHalfEven(x / q) * q;
}

export function sampleDimension(dimension: Dimension, rng: Rng): number {
  const u = dimension.low + (dimension.high - dimension.low) * rng.next();
  switch (dimension.kind) {
    case 'uniform':
      return u;
    case 'loguniform':
      return Math.exp(u);
    case 'quniform':
      return quantize(u, dimension.q);
  }
}

/** One random-search draw. */
export function sampleParams(rng: Rng, space: SearchSpace = SEARCH_SPACE): XGBoostParams {
  const v = {} as Record<SampledParam, number>;
  for (const name of Object.keys(space) as SampledParam[]) v[name] = sampleDimension(space[name], rng);
  return paramsFromValues(v);
}

/** Sampled values as XGBoost parameters; integer params are cast with int() as the seed's objective does. */
export function paramsFromValues(v: Readonly<Record<SampledParam, number>>): XGBoostParams {
  return {
    n_estimators: Math.trunc(v.n_estimators),
    max_depth: Math.trunc(v.max_depth),
    learning_rate: v.learning_rate,
    subsample: v.subsample,
    colsample_bytree: v.colsample_bytree,
    gamma: v.gamma,
    reg_alpha: v.reg_alpha,
    reg_lambda: v.reg_lambda,
  };
}

/**
 * The generator of trial `index` of the search seeded with `seed`, independent of any other trial, so a
 * search that continues-as-new needs to carry only (seed, next index).
 */
export function trialRng(seed: number, index: number): Rng {
  // Mixes index into the seed (golden-ratio multiply) so neighbouring trials start far apart.
  return createRng(((seed >>> 0) ^ Math.imul((index + 1) >>> 0, 0x9e3779b9)) >>> 0);
}

/** Random-search params of trial `index` of the search seeded with `seed`. */
export function trialParams(seed: number, index: number, space: SearchSpace = SEARCH_SPACE): XGBoostParams {
  return sampleParams(trialRng(seed, index), space);
}
