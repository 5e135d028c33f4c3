/**
 * Tree-structured Parzen Estimator (Bergstra et al., NeurIPS 2011), as hyperopt's `tpe.suggest` and
 * Optuna's `TPESampler` implement it. Imported by Temporal workflow code: pure and deterministic; its only
 * randomness is the generator seeded by (seed, trial index), its only input the finished trials.
 *
 * - Start-up: the first `startupTrials` trials are random search (exactly the random sampler's draws).
 * - Split: observations ranked by loss; the best ceil(γ·n), at most 25, form the "good" set (Optuna's
 *   rule, γ = 0.1), the rest the "bad" set. hyperopt's ceil(0.25·√n) keeps only 2 good points of 50 and
 *   did much worse on Branin and Hartmann-6 (README, TPE section).
 * - Parzen estimators l(x) of the good and g(x) of the bad set: one kernel per observation plus a prior
 *   kernel (centre of the range, as wide as the range, weight `priorWeight`), bandwidths by hyperopt's
 *   neighbour rule with the "magic clip", observation weights by linear forgetting (older than the newest
 *   25 ramp down). Uniform and quniform dimensions live on their range, loguniform in log space; a
 *   quniform candidate is rounded to its grid and scored by the probability of its grid cell.
 * - Proposal: `candidates` draws from l(x); the one maximising log l(x) − log g(x) (the expected
 *   improvement's monotone proxy) wins. By default (`multivariate`, as Optuna 5's default) each kernel is
 *   a product over all dimensions and candidates are whole points; with `multivariate: false` every
 *   dimension has its own estimators and its own winning candidate (hyperopt).
 * - Pruned trials rank after every complete trial, by their loss (the best score before they were
 *   stopped), so they land in the bad set unless fewer complete trials than the good set's size exist.
 *   Non-finite losses rank last.
 */
import {
  fitParzenEstimator,
  forgettingWeights,
  logDensity,
  sampleParzen,
  type KernelDomain,
} from './parzen-estimator';
import type { Observation, Sampler } from './sampler';
import {
  SEARCH_SPACE,
  paramsFromValues,
  sampleDimension,
  trialRng,
  type Dimension,
  type Rng,
  type SampledParam,
  type SearchSpace,
} from './search-space';

export interface TpeOptions {
  /** Random trials before TPE starts; default from `budget` (see `defaultStartupTrials`), else 20. */
  startupTrials?: number;
  /** Quantile of the good set: the best ceil(gamma·n) observations, at most 25; default 0.1. */
  gamma?: number;
  /** Candidates drawn from l(x) per proposal; default 24. */
  candidates?: number;
  /** One kernel over all dimensions instead of one estimator per dimension; default true. */
  multivariate?: boolean;
  /** Weight of the prior kernel relative to one observation; default 1. */
  priorWeight?: number;
  /** The search's number of trials: sets the default start-up count for small budgets. */
  budget?: number;
}

/** A finished trial in the space's own units (loguniform values as sampled, not their logarithm). */
export interface TpeObservation {
  index: number;
  values: readonly number[];
  loss: number;
  pruned?: boolean;
}

const GOOD_SET_CAP = 25;

/**
 * hyperopt's 20 random start-up trials, or a fifth of a smaller budget (at least 5), so that a 50-trial
 * search spends 40 trials, not 30, on the model.
 */
export function defaultStartupTrials(budget?: number): number {
  if (budget === undefined) return 20;
  return Math.min(20, Math.max(5, Math.floor(budget / 5)));
}

interface ResolvedOptions {
  startupTrials: number;
  gamma: number;
  candidates: number;
  multivariate: boolean;
  priorWeight: number;
}

function resolveOptions(options: TpeOptions): ResolvedOptions {
  const check = (name: string, value: number | undefined, ok: (v: number) => boolean, rule: string) => {
    if (value !== undefined && !(Number.isFinite(value) && ok(value))) {
      throw new Error(`tpe ${name} must be ${rule}, got ${value}`);
    }
  };
  check('startupTrials', options.startupTrials, (v) => Number.isInteger(v) && v >= 1, 'an integer ≥ 1');
  check('gamma', options.gamma, (v) => v > 0 && v <= 1, 'a number in (0, 1]');
  check('candidates', options.candidates, (v) => Number.isInteger(v) && v >= 1, 'an integer ≥ 1');
  check('priorWeight', options.priorWeight, (v) => v > 0, 'a number > 0');
  check('budget', options.budget, (v) => Number.isInteger(v) && v >= 1, 'an integer ≥ 1');
  return {
    startupTrials: options.startupTrials ?? defaultStartupTrials(options.budget),
    gamma: options.gamma ?? 0.1,
    candidates: options.candidates ?? 24,
    multivariate: options.multivariate ?? true,
    priorWeight: options.priorWeight ?? 1,
  };
}

/**
 * The next point for `space` given `observations` (in any order: they are put in trial order first),
 * drawing only from `rng`.
 */
export function proposeTpe(
  space: readonly Dimension[],
  observations: readonly TpeObservation[],
  rng: Rng,
  options: TpeOptions = {},
): number[] {
  return proposeResolved(space, observations, rng, resolveOptions(options));
}

function proposeResolved(
  space: readonly Dimension[],
  observations: readonly TpeObservation[],
  rng: Rng,
  options: ResolvedOptions,
): number[] {
  if (observations.length < options.startupTrials) return space.map((d) => sampleDimension(d, rng));
  const { good, bad } = splitObservations(observations, options.gamma);
  const domains = space.map(kernelDomain);
  const toInternal = (o: TpeObservation) =>
    o.values.map((v, d) => (space[d].kind === 'loguniform' ? Math.log(v) : v));
  const goodPoints = good.map(toInternal);
  const badPoints = bad.map(toInternal);

  const choose = (dims: readonly number[]): number[] => {
    const project = (points: number[][]) => points.map((p) => dims.map((d) => p[d]));
    const doms = dims.map((d) => domains[d]);
    const l = fitParzenEstimator(
      project(goodPoints),
      forgettingWeights(good.length),
      doms,
      options.priorWeight,
    );
    const g = fitParzenEstimator(
      project(badPoints),
      forgettingWeights(bad.length),
      doms,
      options.priorWeight,
    );
    let best: number[] = [];
    let bestScore = -Infinity;
    for (const x of sampleParzen(l, options.candidates, rng)) {
      const score = logDensity(l, x) - logDensity(g, x);
      if (best.length === 0 || score > bestScore) {
        best = x;
        bestScore = score;
      }
    }
    return best;
  };

  const internal = options.multivariate
    ? choose(space.map((_, d) => d))
    : space.map((_, d) => choose([d])[0]);
  return internal.map((x, d) => (space[d].kind === 'loguniform' ? Math.exp(x) : x));
}

function kernelDomain(dimension: Dimension): KernelDomain {
  return { low: dimension.low, high: dimension.high, step: dimension.kind === 'quniform' ? dimension.q : 0 };
}

/** Good and bad sets, each in trial order (the order linear forgetting weighs by). */
function splitObservations(
  observations: readonly TpeObservation[],
  gamma: number,
): { good: TpeObservation[]; bad: TpeObservation[] } {
  const byIndex = [...observations].sort((a, b) => a.index - b.index);
  const ranked = [...byIndex].sort(compareRank);
  const nGood = Math.min(GOOD_SET_CAP, Math.ceil(gamma * byIndex.length));
  const goodIndices = new Set(ranked.slice(0, nGood).map((o) => o.index));
  return {
    good: byIndex.filter((o) => goodIndices.has(o.index)),
    bad: byIndex.filter((o) => !goodIndices.has(o.index)),
  };
}

/** Complete before pruned, then by loss (non-finite last), then by index. */
function compareRank(a: TpeObservation, b: TpeObservation): number {
  const pa = a.pruned ? 1 : 0;
  const pb = b.pruned ? 1 : 0;
  if (pa !== pb) return pa - pb;
  const la = Number.isFinite(a.loss) ? a.loss : Infinity;
  const lb = Number.isFinite(b.loss) ? b.loss : Infinity;
  if (la !== lb) return la < lb ? -1 : 1;
  return a.index - b.index;
}

/** TPE over the XGBoost search space; its start-up trials equal the random sampler's. */
export function createTpeSampler(
  seed: number,
  options: TpeOptions = {},
  space: SearchSpace = SEARCH_SPACE,
): Sampler {
  const resolved = resolveOptions(options);
  const names = Object.keys(space) as SampledParam[];
  const dimensions = names.map((name) => space[name]);
  return {
    kind: 'tpe',
    propose(index: number, observations: readonly Observation[]) {
      const points = observations.map((o) => ({
        index: o.index,
        loss: o.loss,
        pruned: o.pruned,
        values: names.map((name) => o.params[name]),
      }));
      const values = proposeResolved(dimensions, points, trialRng(seed, index), resolved);
      const byName = {} as Record<SampledParam, number>;
      names.forEach((name, d) => (byName[name] = values[d]));
      return paramsFromValues(byName);
    },
  };
}
