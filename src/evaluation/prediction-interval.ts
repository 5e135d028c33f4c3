/**
 * Prediction intervals by split conformal prediction: the absolute residuals of a model on rows it was
 * never fitted on, kept sorted per group of rows (hour of day × working day or not), give for any level
 * a half-width q such that |actual − prediction| ≤ q held on that share of the calibration rows. The
 * interval [prediction − q, prediction + q] is clamped at 0 (no negative traffic).
 *
 * Grouping matters because the error is anything but constant: a night hour misses by tens of vehicles,
 * a rush hour by hundreds. A group with too few residuals for the level falls back to all of them.
 */
import { z } from 'zod';
import { holidayFlag } from '../features/features';
import { dayOfWeek, daysFromCivil } from '../data/local-date-time';
import type { TrafficRow } from '../contracts/domain';
import { isFederalHoliday } from '../data/us-holidays';

export const DEFAULT_INTERVAL_LEVEL = 0.9;
const POOLED = 'all';

export interface IntervalCalibration {
  kind: 'interval-calibration';
  /** Which rows the residuals come from, and of which model (e.g. the pre-refit selected models). */
  source: { rows: string; count: number; model: string };
  groupBy: 'hour-working-day';
  /** Sorted absolute residuals per group (`<hour>w` working day, `<hour>o` day off) and pooled (`all`). */
  residuals: Record<string, number[]>;
}

export type Interval = [low: number, high: number];

/** A level is a share strictly between 0 and 1 (0.9 = a 90 % central interval). */
export function assertIntervalLevel(level: number): void {
  if (!(Number.isFinite(level) && level > 0 && level < 1)) {
    throw new RangeError(`interval level must be a number between 0 and 1, e.g. 0.9 (got ${level})`);
  }
}

/** The group a row's residual is pooled with: its hour, on a working day or a day off. */
export function intervalGroup(row: Pick<TrafficRow, 'date_time' | 'holiday'>): string {
  const t = row.date_time;
  const day = daysFromCivil(t.year, t.month, t.day);
  const working = dayOfWeek(t) < 5 && !isFederalHoliday(day, t.year) && holidayFlag(row.holiday) === 0;
  return `${t.hour}${working ? 'w' : 'o'}`;
}

export function calibrateIntervals(input: {
  rows: readonly Pick<TrafficRow, 'date_time' | 'holiday'>[];
  labels: ArrayLike<number>;
  predictions: ArrayLike<number>;
  source: Omit<IntervalCalibration['source'], 'count'>;
}): IntervalCalibration {
  const { rows, labels, predictions } = input;
  if (rows.length !== labels.length || rows.length !== predictions.length) {
    throw new RangeError(
      `calibration needs one label and prediction per row (${rows.length} rows, ${labels.length} labels, ${predictions.length} predictions)`,
    );
  }
  if (rows.length === 0) throw new RangeError('no rows to calibrate intervals on');
  const residuals: Record<string, number[]> = { [POOLED]: [] };
  for (let i = 0; i < rows.length; i++) {
    // Rounded to 0.01 vehicles/h: plenty for a width, and a third of the JSON.
    const r = Math.round(Math.abs(labels[i] - predictions[i]) * 100) / 100;
    (residuals[intervalGroup(rows[i])] ??= []).push(r);
    residuals[POOLED].push(r);
  }
  for (const list of Object.values(residuals)) list.sort((a, b) => a - b);
  return {
    kind: 'interval-calibration',
    source: { ...input.source, count: rows.length },
    groupBy: 'hour-working-day',
    residuals,
  };
}

/**
 * The conformal half-width: the ⌈(n + 1)·level⌉-th smallest of n residuals, or undefined when n is too
 * small for the level (that rank exceeds n).
 */
function conformalQuantile(sorted: readonly number[], level: number): number | undefined {
  const rank = Math.ceil((sorted.length + 1) * level);
  return rank <= sorted.length ? sorted[rank - 1] : undefined;
}

export function intervalHalfWidth(calibration: IntervalCalibration, group: string, level: number): number {
  assertIntervalLevel(level);
  const own = calibration.residuals[group];
  const width =
    (own && conformalQuantile(own, level)) ?? conformalQuantile(calibration.residuals[POOLED], level);
  if (width === undefined) {
    throw new RangeError(`${calibration.source.count} calibration rows are too few for a ${level} interval`);
  }
  return width;
}

/** Rounded to 0.01 vehicles/h, as predictions are. */
export function roundInterval([low, high]: Interval): Interval {
  return [Math.round(low * 100) / 100, Math.round(high * 100) / 100];
}

/** One [low, high] per row, clamped at 0. */
export function predictionIntervals(
  calibration: IntervalCalibration,
  rows: readonly Pick<TrafficRow, 'date_time' | 'holiday'>[],
  predictions: ArrayLike<number>,
  level: number,
): Interval[] {
  assertIntervalLevel(level);
  const widths = new Map<string, number>();
  return rows.map((row, i) => {
    const group = intervalGroup(row);
    let q = widths.get(group);
    if (q === undefined) {
      q = intervalHalfWidth(calibration, group, level);
      widths.set(group, q);
    }
    return [Math.max(0, predictions[i] - q), Math.max(0, predictions[i] + q)];
  });
}

/** Share of labels inside their interval, and the mean width, over the same rows. */
export function intervalCoverage(
  labels: ArrayLike<number>,
  intervals: readonly Interval[],
): { coverage: number; meanWidth: number } {
  if (labels.length !== intervals.length || labels.length === 0) {
    throw new RangeError(
      `coverage needs one interval per label (${labels.length} labels, ${intervals.length} intervals)`,
    );
  }
  let inside = 0;
  let width = 0;
  for (let i = 0; i < labels.length; i++) {
    const [low, high] = intervals[i];
    if (labels[i] >= low && labels[i] <= high) inside++;
    width += high - low;
  }
  return { coverage: inside / labels.length, meanWidth: width / labels.length };
}

const calibrationSchema = z.object({
  kind: z.literal('interval-calibration'),
  source: z.object({ rows: z.string(), count: z.number().int().positive(), model: z.string() }),
  groupBy: z.literal('hour-working-day'),
  residuals: z.record(z.string(), z.array(z.number().nonnegative())),
});

export function parseIntervalCalibration(json: unknown): IntervalCalibration {
  const result = calibrationSchema.safeParse(json);
  if (!result.success) throw new Error(`invalid interval calibration: ${z.prettifyError(result.error)}`);
  if (!result.data.residuals[POOLED]?.length)
    throw new Error('invalid interval calibration: no pooled residuals');
  return result.data;
}
