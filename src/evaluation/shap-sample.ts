/** The validation rows the run report's SHAP summary is computed on (see docs/run-reports.md). */
import type { LocalDateTime } from '../contracts/domain';
import { isCalendarWorkingDay } from '../data/us-holidays';

export const SHAP_SAMPLE_ROWS = 150;

/** How the report draws its sample: see stratifiedShapSampleRows and docs/run-reports.md. */
export const SHAP_SAMPLE_DESIGN: 'even' | 'stratified' = 'stratified';

/**
 * Indices of `size` rows spread evenly over `rows` (all of them when there are no more than `size`, e.g. `Infinity`), in order.
 * Hourly rows taken at a non-integer stride cover every hour, weekday and month of the year alike. `offset`
 * (0 ≤ offset < 1, default 0) shifts every pick by that share of the stride: another even spread of the same size.
 */
export function shapSampleRows(rows: number, size = SHAP_SAMPLE_ROWS, offset = 0): number[] {
  if (!(size >= 1)) throw new RangeError(`SHAP sample size must be ≥ 1 (got ${size})`);
  if (!(offset >= 0 && offset < 1))
    throw new RangeError(`SHAP sample offset must be in [0, 1) (got ${offset})`);
  if (rows <= size) return Array.from({ length: rows }, (_, i) => i);
  if (!Number.isInteger(size)) throw new RangeError(`SHAP sample size must be an integer (got ${size})`);
  return Array.from({ length: size }, (_, i) => Math.floor(((i + offset) * rows) / size));
}

/** The golden ratio's fractional part: phases j · GOLDEN mod 1 spread evenly over [0, 1) for any count. */
const GOLDEN = 0.6180339887498949;

/** A row's stratum: its hour of day (0–23), plus 24 on a weekend or federal holiday (not a working day). */
export function hourByWorkingDay(t: Pick<LocalDateTime, 'year' | 'month' | 'day' | 'hour'>): number {
  return t.hour + (isCalendarWorkingDay(t) ? 0 : 24);
}

/**
 * Indices of about `size` rows (exactly `size` when it is no more than the rows), in order, drawn stratum by stratum:
 * each stratum gets its share of `size` (largest remainders), spread evenly over its rows in their order
 * (`shapSampleRows` within the stratum, its start shifted from `offset` by a different share of the stride per stratum). Returns each sampled row's stratum and the strata's
 * sizes among all rows, as `meanAbsShapIntervals` takes them; when `size` is too small to give every stratum a row,
 * the sample is the plain even spread, as one stratum (label 0) of all rows.
 */
export function stratifiedShapSampleRows(
  strata: ArrayLike<number>,
  size = SHAP_SAMPLE_ROWS,
  offset = 0,
): { rows: number[]; strata: number[]; stratumSizes: Map<number, number> } {
  const members = new Map<number, number[]>();
  for (let i = 0; i < strata.length; i++) {
    const list = members.get(strata[i]);
    if (list) list.push(i);
    else members.set(strata[i], [i]);
  }
  const stratumSizes = new Map([...members].map(([h, list]) => [h, list.length]));
  const total = strata.length;
  if (total <= size) {
    const rows = Array.from({ length: total }, (_, i) => i);
    return { rows, strata: rows.map((i) => strata[i]), stratumSizes };
  }
  const even = shapSampleRows(total, size, offset); // also checks size and offset
  const labels = [...members.keys()].sort((a, b) => a - b);
  const quota = labels.map((h) => (size * members.get(h)!.length) / total);
  const take = quota.map(Math.floor);
  let left = size - take.reduce((a, b) => a + b, 0);
  const byRemainder = labels
    .map((_, j) => j)
    .sort((a, b) => quota[b] - take[b] - (quota[a] - take[a]) || a - b);
  for (const j of byRemainder) {
    if (left === 0) break;
    take[j]++;
    left--;
  }
  if (take.some((n) => n === 0))
    return { rows: even, strata: even.map(() => 0), stratumSizes: new Map([[0, total]]) };
  // Each stratum's spread starts at its own phase (golden-ratio steps), so the strata do not all pick the same days.
  const rows = labels
    .flatMap((h, j) =>
      shapSampleRows(members.get(h)!.length, take[j], (offset + j * GOLDEN) % 1).map(
        (i) => members.get(h)![i],
      ),
    )
    .sort((a, b) => a - b);
  return { rows, strata: rows.map((i) => strata[i]), stratumSizes };
}
