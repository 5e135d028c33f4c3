/**
 * Season-matched expected proportions: the reference's shares for the batch's own mix of calendar months.
 * A retraining check usually assesses a partial current year (January … now); compared with whole training years,
 * its temperature, rain and weather differ by season alone. Weighting the reference's months by the batch's
 * month shares, Σ_m w_m · p_ref,m, compares January–April with January–April of the training years.
 */
import type { TrafficRow } from '../contracts/domain';
import type { MonthProportions } from './reference-profile';

/**
 * A reference month with fewer rows than this is not trusted on its own: its shares would add their own
 * sampling noise, about (bins − 1)/rows to the PSI (0.045 at 10 bins), and empty bins floored at epsilon.
 */
export const MIN_REFERENCE_MONTH_ROWS = 200;

/** How many of `rows` fall in each calendar month. */
export function monthCounts(rows: readonly TrafficRow[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const row of rows) counts.set(row.date_time.month, (counts.get(row.date_time.month) ?? 0) + 1);
  return counts;
}

/**
 * Σ_m w_m · p_ref,m over the batch's months m, w_m = the batch's share of rows in m. A month the reference does
 * not have (or has too few rows of) falls back to the reference's overall `proportions`: for that month the
 * comparison is the whole-year one, season effects included. An empty batch gets the overall proportions.
 */
export function seasonMatchedProportions(
  overall: readonly number[],
  byMonth: readonly MonthProportions[],
  batchMonths: ReadonlyMap<number, number>,
): number[] {
  const reference = new Map(
    byMonth.filter((m) => m.rows >= MIN_REFERENCE_MONTH_ROWS).map((m) => [m.month, m.proportions]),
  );
  let total = 0;
  for (const n of batchMonths.values()) total += n;
  if (total === 0) return [...overall];
  const expected = new Array<number>(overall.length).fill(0);
  for (const [month, n] of batchMonths) {
    const p = reference.get(month) ?? overall;
    for (let k = 0; k < expected.length; k++) expected[k] += (n / total) * p[k];
  }
  return expected;
}
