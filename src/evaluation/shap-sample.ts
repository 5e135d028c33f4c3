/** The validation rows the run report's SHAP summary is computed on (see docs/run-reports.md). */
export const SHAP_SAMPLE_ROWS = 1_000;

/**
 * Indices of `size` rows spread evenly over `rows` (all of them when there are no more than `size`, e.g. `Infinity`), in order.
 * Hourly rows taken at a non-integer stride cover every hour, weekday and month of the year alike.
 */
export function shapSampleRows(rows: number, size = SHAP_SAMPLE_ROWS): number[] {
  if (!(size >= 1)) throw new RangeError(`SHAP sample size must be ≥ 1 (got ${size})`);
  if (rows <= size) return Array.from({ length: rows }, (_, i) => i);
  if (!Number.isInteger(size)) throw new RangeError(`SHAP sample size must be an integer (got ${size})`);
  return Array.from({ length: size }, (_, i) => Math.floor((i * rows) / size));
}
