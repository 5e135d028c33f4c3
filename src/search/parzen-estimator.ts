/**
 * The Parzen estimators of TPE: mixtures of truncated (and, on a grid, discretised) normal kernels, one
 * kernel per observation plus a prior kernel. Works in the sampler's internal coordinates (log space for
 * loguniform dimensions). Imported by Temporal workflow code through the TPE sampler: keep it pure,
 * deterministic and free of runtime imports except the project's own pure modules.
 */
import { quantize, type Rng } from './search-space';

/** One dimension in internal coordinates; `step` > 0 for a quantised dimension (values on its grid). */
export interface KernelDomain {
  low: number;
  high: number;
  step: number;
}

/** A mixture whose components are products of one-dimensional truncated normals. */
export interface ParzenEstimator {
  domains: readonly KernelDomain[];
  /** Component weights, summing to 1. */
  weights: number[];
  /** mus[component][dimension] and sigmas[component][dimension]. */
  mus: number[][];
  sigmas: number[][];
}

/** Probabilities below this are treated as this (keeps log-densities finite far in the tails). */
const EPS = 1e-12;
/** hyperopt's and Optuna's linear-forgetting horizon: the newest 25 observations keep weight 1. */
const FORGETTING_HORIZON = 25;

/**
 * Weights of `n` observations in trial order (hyperopt's and Optuna's linear forgetting): the newest 25
 * weigh 1, older ones ramp linearly from 1/n up to 1.
 */
export function forgettingWeights(n: number): number[] {
  if (n <= FORGETTING_HORIZON) return new Array<number>(n).fill(1);
  const ramp = n - FORGETTING_HORIZON;
  const start = 1 / n;
  const w: number[] = [];
  for (let i = 0; i < ramp; i++) w.push(ramp === 1 ? start : start + ((1 - start) * i) / (ramp - 1));
  for (let i = 0; i < FORGETTING_HORIZON; i++) w.push(1);
  return w;
}

/**
 * Fits the estimator to `points` (internal coordinates, in trial order) with `weights` (one per point).
 * The prior kernel sits at the middle of each dimension with the dimension's width as bandwidth and
 * weighs `priorWeight` observations. Each dimension's bandwidths follow hyperopt's neighbour rule, also
 * for a joint (multivariate) estimator, as Optuna 5 does: its measured advantage over Optuna's older
 * Scott-like shared bandwidth is in README's TPE table.
 */
export function fitParzenEstimator(
  points: readonly (readonly number[])[],
  weights: readonly number[],
  domains: readonly KernelDomain[],
  priorWeight: number,
): ParzenEstimator {
  const n = points.length;
  const mus: number[][] = points.map((p) => [...p]);
  const sigmas: number[][] = points.map(() => new Array<number>(domains.length).fill(0));
  domains.forEach((domain, d) => {
    const width = domain.high - domain.low;
    const prior = 0.5 * (domain.low + domain.high);
    // "Magic clip": no kernel wider than the prior, none narrower than width / min(100, kernels + 1).
    const maxSigma = width;
    const minSigma = width / Math.min(100, n + 2);
    const raw = neighbourBandwidths(
      points.map((p) => p[d]),
      prior,
    );
    raw.forEach((s, i) => (sigmas[i][d] = Math.min(maxSigma, Math.max(minSigma, s))));
  });
  mus.push(domains.map((domain) => 0.5 * (domain.low + domain.high)));
  sigmas.push(domains.map((domain) => domain.high - domain.low));
  const all = [...weights, priorWeight];
  const total = all.reduce((a, b) => a + b, 0);
  return { domains, weights: all.map((w) => w / total), mus, sigmas };
}

/**
 * hyperopt's adaptive bandwidth: with the prior's centre among the sorted points, each point's kernel is
 * as wide as the larger gap to its neighbours (the outermost ones: the gap to their only neighbour).
 */
function neighbourBandwidths(values: readonly number[], prior: number): number[] {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v || a.i - b.i);
  const sorted = [...order.map((o) => o.v), prior].sort((a, b) => a - b);
  // Positions of each point in `sorted`: the prior is inserted after the points below it.
  const priorAt = order.filter((o) => o.v < prior).length;
  const out = new Array<number>(values.length);
  order.forEach((o, rank) => {
    const at = rank < priorAt ? rank : rank + 1;
    const left = at > 0 ? sorted[at] - sorted[at - 1] : -Infinity;
    const right = at < sorted.length - 1 ? sorted[at + 1] - sorted[at] : -Infinity;
    out[o.i] = Math.max(left, right);
  });
  return out;
}

/** `count` draws from the mixture; quantised dimensions are rounded to their grid. */
export function sampleParzen(estimator: ParzenEstimator, count: number, rng: Rng): number[][] {
  const out: number[][] = [];
  for (let c = 0; c < count; c++) {
    const k = pickComponent(estimator.weights, rng.next());
    out.push(
      estimator.domains.map((domain, d) => {
        const x = sampleTruncatedNormal(
          estimator.mus[k][d],
          estimator.sigmas[k][d],
          domain.low,
          domain.high,
          rng.next(),
        );
        return domain.step > 0 ? quantize(x, domain.step) : x;
      }),
    );
  }
  return out;
}

/**
 * Log-density of `x` (a quantised dimension contributes the probability of its grid cell, as hyperopt's
 * quniform likelihood does).
 */
export function logDensity(estimator: ParzenEstimator, x: readonly number[]): number {
  const terms = estimator.weights.map((w, k) => {
    let log = Math.log(w);
    estimator.domains.forEach((domain, d) => {
      log += kernelLogDensity(estimator.mus[k][d], estimator.sigmas[k][d], domain, x[d]);
    });
    return log;
  });
  const max = Math.max(...terms);
  if (max === -Infinity) return -Infinity;
  return max + Math.log(terms.reduce((s, t) => s + Math.exp(t - max), 0));
}

function kernelLogDensity(mu: number, sigma: number, domain: KernelDomain, x: number): number {
  const inside = Math.max(EPS, normalMass((domain.low - mu) / sigma, (domain.high - mu) / sigma));
  if (domain.step > 0) {
    const lo = Math.max(domain.low, x - domain.step / 2);
    const hi = Math.min(domain.high, x + domain.step / 2);
    const cell = hi > lo ? normalMass((lo - mu) / sigma, (hi - mu) / sigma) : 0;
    return Math.log(Math.max(EPS, cell / inside));
  }
  const z = (x - mu) / sigma;
  return -0.5 * z * z - Math.log(sigma) - 0.5 * Math.log(2 * Math.PI) - Math.log(inside);
}

function pickComponent(weights: readonly number[], u: number): number {
  let acc = 0;
  for (let k = 0; k < weights.length; k++) {
    acc += weights[k];
    if (u < acc) return k;
  }
  return weights.length - 1;
}

/** Inverse-CDF draw from N(mu, sigma) truncated to [low, high]; works in the nearer tail for accuracy. */
function sampleTruncatedNormal(mu: number, sigma: number, low: number, high: number, u: number): number {
  const a = (low - mu) / sigma;
  const b = (high - mu) / sigma;
  const z = a > 0 ? -truncatedStandardNormal(-b, -a, 1 - u) : truncatedStandardNormal(a, b, u);
  return Math.min(high, Math.max(low, mu + sigma * z));
}

/** A standard normal draw in [a, b] with a ≤ 0 (the interval starts in the lower half). */
function truncatedStandardNormal(a: number, b: number, u: number): number {
  const pa = normalCdf(a);
  const pb = normalCdf(b);
  const z = inverseNormalCdf(pa + u * (pb - pa));
  return Math.min(b, Math.max(a, z));
}

/** Φ(b) − Φ(a), computed in the tail where both lie so small masses keep their precision. */
function normalMass(a: number, b: number): number {
  if (a >= 0) return 0.5 * (erfc(a / Math.SQRT2) - erfc(b / Math.SQRT2));
  if (b <= 0) return 0.5 * (erfc(-b / Math.SQRT2) - erfc(-a / Math.SQRT2));
  return 1 - 0.5 * erfc(-a / Math.SQRT2) - 0.5 * erfc(b / Math.SQRT2);
}

function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** Complementary error function, Chebyshev fit (Numerical Recipes' erfcc), relative error < 1.2e-7. */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t *
                      (0.27886807 +
                        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const r = t * Math.exp(-z * z + poly);
  return x >= 0 ? r : 2 - r;
}

/** Φ⁻¹(p) by Acklam's rational approximation (relative error < 1.2e-9). */
function inverseNormalCdf(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) =>
    (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
    ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}
