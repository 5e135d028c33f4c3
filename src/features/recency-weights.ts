/**
 * Recency sample weights: a training row's weight halves every `halfLifeYears` of its age, measured from
 * the newest row trained on. Traffic drifts from year to year, so recent rows say more about the next ones.
 */
import { daysFromCivil } from '../data/local-date-time';
import type { LocalDateTime } from '../contracts/domain';

export const DAYS_PER_YEAR = 365.2425;

/** A row's date-time in years since 1970-01-01 (fractional), the unit recency ages are measured in. */
export function timeInYears(t: Pick<LocalDateTime, 'year' | 'month' | 'day' | 'hour'>): number {
  return (daysFromCivil(t.year, t.month, t.day) + t.hour / 24) / DAYS_PER_YEAR;
}

/** A half-life must be a positive, finite number of years. */
export function assertHalfLife(halfLifeYears: number): void {
  if (!(Number.isFinite(halfLifeYears) && halfLifeYears > 0)) {
    throw new RangeError(`recency half-life must be a positive number of years (got ${halfLifeYears})`);
  }
}

/**
 * One weight per row: 0.5^(age / halfLife), age = newest time − the row's time, scaled to a mean of 1
 * so the total weight (and with it what `min_child_weight` means) stays that of unweighted training.
 */
export function recencyWeights(timesInYears: ArrayLike<number>, halfLifeYears: number): Float32Array {
  assertHalfLife(halfLifeYears);
  const n = timesInYears.length;
  const weights = new Float32Array(n);
  if (n === 0) return weights;
  let newest = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) newest = Math.max(newest, timesInYears[i]);
  const raw = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    raw[i] = Math.pow(0.5, (newest - timesInYears[i]) / halfLifeYears);
    sum += raw[i];
  }
  const scale = n / sum;
  for (let i = 0; i < n; i++) weights[i] = raw[i] * scale;
  return weights;
}
