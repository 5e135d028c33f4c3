/**
 * How precise a SHAP summary from a sample of rows is: each input's mean |SHAP| with a 95 % standard-error
 * interval (normal approximation, finite-population corrected, so the interval has no width when every row is
 * in the sample). Rows sampled by stratum (src/evaluation/shap-sample.ts) are weighted by their stratum's share
 * of all rows, and the variance is the stratified one: Σ_h W_h² (1 − n_h/N_h) s_h² / n_h. See docs/run-reports.md.
 */

export type { MeanAbsShapEstimate };

/** z of a central 95 % normal interval. */
const Z95 = 1.959964;

import type { MeanAbsShapEstimate } from '../contracts/reporting';

export interface SampledContributions {
  columns: string[];
  /** Sampled rows. */
  rows: number;
  /** rows × columns, row-major. */
  contributions: ArrayLike<number>;
}

/**
 * Each column's mean |SHAP| over the `of` rows the sample came from, with its 95 % interval, largest first.
 * `strata` (one label per sampled row) and `stratumSizes` (rows of each label among all `of`) describe a
 * stratified sample; without them the sample is taken as one stratum of `of` rows.
 */
export function meanAbsShapIntervals(
  sample: SampledContributions,
  of: number,
  design?: { strata: ArrayLike<number>; stratumSizes: ReadonlyMap<number, number> },
): MeanAbsShapEstimate[] {
  const { columns, rows, contributions } = sample;
  const k = columns.length;
  if (contributions.length !== rows * k)
    throw new RangeError(`contributions have ${contributions.length} values, not ${rows} × ${k}`);
  if (of < rows) throw new RangeError(`a sample of ${rows} rows cannot come from ${of}`);
  const label = (i: number): number => (design ? design.strata[i] : 0);
  const sizeOf = (h: number): number => {
    const size = design ? design.stratumSizes.get(h) : of;
    if (size === undefined) throw new RangeError(`stratum ${h} has no size`);
    return size;
  };
  // Per stratum: sampled rows, Σ|v| and Σ|v|² per column.
  const strata = new Map<number, { n: number; sum: Float64Array; squares: Float64Array }>();
  for (let i = 0; i < rows; i++) {
    const h = label(i);
    let s = strata.get(h);
    if (!s) strata.set(h, (s = { n: 0, sum: new Float64Array(k), squares: new Float64Array(k) }));
    s.n++;
    for (let c = 0; c < k; c++) {
      const v = Math.abs(contributions[i * k + c]);
      s.sum[c] += v;
      s.squares[c] += v * v;
    }
  }
  const covered = [...strata.keys()].reduce((total, h) => total + sizeOf(h), 0);
  if (covered !== of) throw new RangeError(`the sampled strata hold ${covered} of the ${of} rows`);
  const value = new Float64Array(k);
  const variance = new Float64Array(k);
  // A stratum with one sampled row has no variance of its own: it takes the pooled within-stratum one.
  const pooled = new Float64Array(k);
  let pooledDf = 0;
  for (const s of strata.values()) {
    if (s.n < 2) continue;
    pooledDf += s.n - 1;
    for (let c = 0; c < k; c++) pooled[c] += s.squares[c] - (s.sum[c] * s.sum[c]) / s.n;
  }
  for (const [h, s] of strata) {
    const size = sizeOf(h);
    const w = size / of;
    for (let c = 0; c < k; c++) {
      const mean = s.sum[c] / s.n;
      value[c] += w * mean;
      const s2 =
        s.n >= 2 ? (s.squares[c] - s.sum[c] * mean) / (s.n - 1) : pooledDf > 0 ? pooled[c] / pooledDf : 0;
      variance[c] += ((w * w * (1 - s.n / size)) / s.n) * Math.max(0, s2);
    }
  }
  return columns
    .map((column, c) => {
      const half = Z95 * Math.sqrt(variance[c]);
      return { column, value: value[c], low: Math.max(0, value[c] - half), high: value[c] + half };
    })
    .sort((a, b) => b.value - a.value);
}
