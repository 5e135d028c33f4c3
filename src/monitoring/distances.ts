/**
 * Distribution distances for monitoring, beside PSI (psi.ts): Wasserstein-1 for numeric columns (in the column's
 * own unit) and Jensen–Shannon distance for categorical ones (0 = same shares, 1 = disjoint).
 */

/**
 * Wasserstein-1 between two distributions given as shares of the same right-closed bins (reference-profile.ts):
 * ∫|F₁(x) − F₂(x)| dx over the finite edges, the CDFs taken at each edge. Mass beyond the outer edges counts as
 * sitting on them, so this is a lower bound of the distance between the raw values (exact when each bin's
 * mass sits at the same place in both).
 */
export function binnedWasserstein(
  edges: readonly number[],
  p: readonly number[],
  q: readonly number[],
): number {
  if (p.length !== edges.length + 1 || q.length !== edges.length + 1) {
    throw new Error(`binnedWasserstein: ${edges.length} edges need ${edges.length + 1} shares each`);
  }
  const sumP = p.reduce((a, b) => a + b, 0);
  const sumQ = q.reduce((a, b) => a + b, 0);
  if (sumP === 0 || sumQ === 0) return 0;
  let cdfP = 0;
  let cdfQ = 0;
  let total = 0;
  for (let i = 0; i < edges.length - 1; i++) {
    cdfP += p[i] / sumP;
    cdfQ += q[i] / sumQ;
    total += Math.abs(cdfP - cdfQ) * (edges[i + 1] - edges[i]);
  }
  return total;
}

/** `k + 1` quantiles of `values` at u = 0, 1/k, …, 1 (linear interpolation); empty when there are no values. */
export function quantileSketch(values: ArrayLike<number>, k = 100): number[] {
  const sorted = Float64Array.from(values).filter(Number.isFinite).sort();
  if (sorted.length === 0) return [];
  const out: number[] = [];
  for (let j = 0; j <= k; j++) {
    const pos = (j / k) * (sorted.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, sorted.length - 1);
    out.push(sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo));
  }
  return out;
}

/**
 * Wasserstein-1 = ∫₀¹ |Q₁(u) − Q₂(u)| du from two quantile sketches on the same grid (trapezoid rule);
 * undefined when either side has no values.
 */
export function sketchWasserstein(a: readonly number[], b: readonly number[]): number | undefined {
  if (a.length === 0 || b.length === 0) return undefined;
  if (a.length !== b.length)
    throw new Error(`sketchWasserstein: sketches of ${a.length} and ${b.length} points`);
  const k = a.length - 1;
  if (k === 0) return Math.abs(a[0] - b[0]);
  let total = 0;
  for (let j = 0; j < k; j++) {
    total += (Math.abs(a[j] - b[j]) + Math.abs(a[j + 1] - b[j + 1])) / 2;
  }
  return total / k;
}

/** Shares of `values` in the right-closed bins between `edges` (the sketch's inner quantiles, say). */
export function sharesIn(edges: readonly number[], values: ArrayLike<number>): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    let b = 0;
    while (b < edges.length && v > edges[b]) b++;
    counts[b]++;
    n++;
  }
  return counts.map((c) => (n === 0 ? 0 : c / n));
}

/**
 * Jensen–Shannon distance √JSD with base-2 logarithms: symmetric, finite for empty bins (no epsilon needed),
 * 0 for equal shares and 1 for shares with no bin in common.
 */
export function jensenShannonDistance(p: readonly number[], q: readonly number[]): number {
  if (p.length !== q.length) throw new Error(`jensenShannonDistance: ${p.length} vs ${q.length} bins`);
  const sumP = p.reduce((a, b) => a + b, 0);
  const sumQ = q.reduce((a, b) => a + b, 0);
  if (sumP === 0 || sumQ === 0) return 0;
  let divergence = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i] / sumP;
    const b = q[i] / sumQ;
    const m = (a + b) / 2;
    if (a > 0) divergence += 0.5 * a * Math.log2(a / m);
    if (b > 0) divergence += 0.5 * b * Math.log2(b / m);
  }
  return Math.sqrt(Math.max(0, Math.min(1, divergence)));
}
