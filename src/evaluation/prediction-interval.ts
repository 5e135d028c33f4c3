/**
 * Prediction intervals by split conformal prediction: the residuals of a model on rows it was never
 * fitted on, kept sorted per group of rows (hour of day × working day or not), give for any level an
 * interval that held on that share of the calibration rows: [prediction − q, prediction + q] from
 * absolute residuals, or [prediction + low, prediction + high] from signed ones (each tail separately, so
 * an interval can reach further below than above, as traffic does: a closure loses thousands of vehicles,
 * no day gains as many). The interval is clamped at 0 (no negative traffic).
 *
 * Grouping matters because the error is anything but constant: a night hour misses by tens of vehicles,
 * a rush hour by hundreds. A group with too few residuals for the level falls back to all of them.
 */
import { z } from 'zod';
import { holidayFlag } from '../features/features';
import type { TrafficRow } from '../contracts/domain';
import type { IntervalMethod } from '../contracts/search';
import { isCalendarWorkingDay } from '../data/us-holidays';

export const DEFAULT_INTERVAL_LEVEL = 0.9;
const POOLED = 'all';

/**
 * How a version's intervals are calibrated (`--interval-calibration`):
 * - `validation-year`: absolute residuals of the selected models on the validation year, a symmetric interval;
 * - `one-year-ahead`: signed residuals of one-year-ahead models — the selected models on the validation year,
 *   and the selected trials retrained on the years before each earlier training year, predicting that year —
 *   pooled, an interval from the lower and upper tails separately, grouped by part of the day × working day.
 * - `worst-year`: the same residuals kept per year; in each group each end is the widest of the years' own
 *   (each year's tails at most (1 − level)/2), so the interval would have held in every one of those years.
 */
export const INTERVAL_METHODS = [
  'validation-year',
  'one-year-ahead',
  'worst-year',
] as const satisfies readonly IntervalMethod[];

export function parseIntervalMethod(value: string): IntervalMethod {
  if (!(INTERVAL_METHODS as readonly string[]).includes(value)) {
    throw new RangeError(`unknown interval calibration "${value}" (${INTERVAL_METHODS.join(', ')})`);
  }
  return value as IntervalMethod;
}

export interface IntervalCalibration {
  kind: 'interval-calibration';
  /** Which rows the residuals come from, and of which model (e.g. the pre-refit selected models). */
  source: { rows: string; count: number; model: string };
  /**
   * `hour-working-day`: 48 groups (`<hour>w` working day, `<hour>o` day off); `daypart-working-day`: 10 groups,
   * five parts of the day (night 0–4 h, morning 5–9, midday 10–14, evening 15–19, late 20–23) × working day,
   * e.g. `morning-w`, so each group's tails rest on about five times as many residuals.
   */
  groupBy: IntervalGrouping;
  /**
   * `absolute` (also when absent, as in calibrations from before `signed` existed): |actual − predicted|, a
   * symmetric interval; `signed`: actual − predicted, the interval's low and high ends from the two tails.
   */
  residualKind?: 'absolute' | 'signed';
  /**
   * Sorted residuals per group and pooled (`all`); with `combineYears: 'worst-year'` only the pooled ones
   * (the fallback for a group no year has enough residuals in), the groups' being in `byYear`.
   */
  residuals: Record<string, number[]>;
  /**
   * `worst-year` (signed residuals only): each end of a group's interval is the widest of the years' own ends, from
   * `byYear`. Absent: the residuals are pooled over the years.
   */
  combineYears?: 'worst-year';
  /** Sorted residuals per year (of the rows' date-times) and group, for `combineYears: 'worst-year'`. */
  byYear?: Record<string, Record<string, number[]>>;
}

export type Interval = [low: number, high: number];

/** A level is a share strictly between 0 and 1 (0.9 = a 90 % central interval). */
export function assertIntervalLevel(level: number): void {
  if (!(Number.isFinite(level) && level > 0 && level < 1)) {
    throw new RangeError(`interval level must be a number between 0 and 1, e.g. 0.9 (got ${level})`);
  }
}

export type IntervalGrouping = 'hour-working-day' | 'daypart-working-day';

function dayPart(hour: number): string {
  return hour < 5 ? 'night' : hour < 10 ? 'morning' : hour < 15 ? 'midday' : hour < 20 ? 'evening' : 'late';
}

/**
 * The group a row's residual is pooled with: its hour (or part of the day), on a working day or a day off.
 * A working day is Monday–Friday, not an observed federal holiday and not a day the row names as a holiday.
 */
export function intervalGroup(
  row: Pick<TrafficRow, 'date_time' | 'holiday'>,
  groupBy: IntervalGrouping = 'hour-working-day',
): string {
  const t = row.date_time;
  const working = isCalendarWorkingDay(t) && holidayFlag(row.holiday) === 0;
  return groupBy === 'daypart-working-day'
    ? `${dayPart(t.hour)}-${working ? 'w' : 'o'}`
    : `${t.hour}${working ? 'w' : 'o'}`;
}

/** What a calibration reads of a row: its group comes from the calendar and the holiday. */
export type CalibrationRow = Pick<TrafficRow, 'date_time' | 'holiday'>;

/**
 * Calibration rows by index: an array, or a view that builds each row only when asked (millions of one-year-ahead
 * rows would otherwise be millions of objects held at once).
 */
export interface CalibrationRows {
  readonly length: number;
  at(index: number): CalibrationRow | undefined;
}

/** `first`'s rows, then `second`'s, without copying either. */
export function concatCalibrationRows(first: CalibrationRows, second: CalibrationRows): CalibrationRows {
  return {
    length: first.length + second.length,
    at: (i) => (i < first.length ? first.at(i) : second.at(i - first.length)),
  };
}

export function calibrateIntervals(input: {
  rows: CalibrationRows;
  labels: ArrayLike<number>;
  predictions: ArrayLike<number>;
  source: Omit<IntervalCalibration['source'], 'count'>;
  /** Default `absolute`. */
  residualKind?: 'absolute' | 'signed';
  /** Default `hour-working-day`. */
  groupBy?: IntervalGrouping;
  /** `worst-year`: keep the residuals per year and take each end from the widest year (signed residuals only). */
  combineYears?: 'worst-year';
}): IntervalCalibration {
  const groupBy = input.groupBy ?? 'hour-working-day';
  const { rows, labels, predictions } = input;
  const signed = input.residualKind === 'signed';
  const byYear = input.combineYears === 'worst-year';
  if (byYear && !signed) throw new RangeError('a worst-year calibration needs signed residuals');
  if (rows.length !== labels.length || rows.length !== predictions.length) {
    throw new RangeError(
      `calibration needs one label and prediction per row (${rows.length} rows, ${labels.length} labels, ${predictions.length} predictions)`,
    );
  }
  if (rows.length === 0) throw new RangeError('no rows to calibrate intervals on');
  const residuals: Record<string, number[]> = { [POOLED]: [] };
  const years: Record<string, Record<string, number[]>> = {};
  for (let i = 0; i < rows.length; i++) {
    // Rounded to 0.01 vehicles/h: plenty for a width, and a third of the JSON.
    const e = labels[i] - predictions[i];
    const r = Math.round((signed ? e : Math.abs(e)) * 100) / 100;
    const row = rows.at(i);
    if (row === undefined) throw new RangeError(`calibration row ${i} of ${rows.length} is missing`);
    const groups = byYear ? (years[String(row.date_time.year)] ??= {}) : residuals;
    (groups[intervalGroup(row, groupBy)] ??= []).push(r);
    residuals[POOLED].push(r);
  }
  const lists: number[][] = [
    ...Object.values(residuals),
    ...Object.values(years).flatMap((g) => Object.values(g)),
  ];
  for (const list of lists) list.sort((a, b) => a - b);
  return {
    kind: 'interval-calibration',
    source: { ...input.source, count: rows.length },
    groupBy,
    ...(signed ? { residualKind: 'signed' as const } : {}),
    residuals,
    ...(byYear ? { combineYears: 'worst-year' as const, byYear: years } : {}),
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

/**
 * Signed residuals: each tail may hold at most (1 − level)/2 of them, so the high end is the
 * ⌈(n + 1)·(1 + level)/2⌉-th smallest and the low end as many from the top; undefined when n is too small.
 */
function signedQuantiles(sorted: readonly number[], level: number): [number, number] | undefined {
  const rank = Math.ceil((sorted.length + 1) * ((1 + level) / 2));
  if (rank > sorted.length) return undefined;
  return [sorted[sorted.length - rank], sorted[rank - 1]];
}

/**
 * What to add to a prediction for the interval's low and high ends in a group at `level`: [−q, q] for
 * absolute residuals, the two tails' signed residuals for signed ones. A group with too few residuals
 * for the level uses all of them.
 */
export function intervalOffsets(
  calibration: IntervalCalibration,
  group: string,
  level: number,
): [low: number, high: number] {
  assertIntervalLevel(level);
  const own = calibration.residuals[group];
  const pooled = calibration.residuals[POOLED];
  let offsets: [number, number] | undefined;
  if (calibration.combineYears === 'worst-year') {
    // Years with too few of the group's residuals for the level have no say; none left: the pooled residuals.
    const perYear = Object.values(calibration.byYear ?? {}).flatMap((groups) => {
      const ends = groups[group] && signedQuantiles(groups[group], level);
      return ends ? [ends] : [];
    });
    offsets =
      perYear.length > 0
        ? [Math.min(...perYear.map(([low]) => low)), Math.max(...perYear.map(([, high]) => high))]
        : signedQuantiles(pooled, level);
  } else if (calibration.residualKind === 'signed') {
    offsets = (own && signedQuantiles(own, level)) ?? signedQuantiles(pooled, level);
  } else {
    const q = (own && conformalQuantile(own, level)) ?? conformalQuantile(pooled, level);
    offsets = q === undefined ? undefined : [-q, q];
  }
  if (offsets === undefined) {
    throw new RangeError(`${calibration.source.count} calibration rows are too few for a ${level} interval`);
  }
  return offsets;
}

/** Half the interval's width in a group at `level` (before clamping at 0). */
export function intervalHalfWidth(calibration: IntervalCalibration, group: string, level: number): number {
  const [low, high] = intervalOffsets(calibration, group, level);
  return (high - low) / 2;
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
  const offsets = new Map<string, [number, number]>();
  return rows.map((row, i) => {
    const group = intervalGroup(row, calibration.groupBy);
    let o = offsets.get(group);
    if (o === undefined) {
      o = intervalOffsets(calibration, group, level);
      offsets.set(group, o);
    }
    return [Math.max(0, predictions[i] + o[0]), Math.max(0, predictions[i] + o[1])];
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
  groupBy: z.enum(['hour-working-day', 'daypart-working-day']),
  residualKind: z.enum(['absolute', 'signed']).optional(),
  residuals: z.record(z.string(), z.array(z.number())),
  combineYears: z.literal('worst-year').optional(),
  byYear: z.record(z.string(), z.record(z.string(), z.array(z.number()))).optional(),
});

export function parseIntervalCalibration(json: unknown): IntervalCalibration {
  const result = calibrationSchema.safeParse(json);
  if (!result.success) throw new Error(`invalid interval calibration: ${z.prettifyError(result.error)}`);
  if (!result.data.residuals[POOLED]?.length)
    throw new Error('invalid interval calibration: no pooled residuals');
  if (
    result.data.combineYears === 'worst-year' &&
    (result.data.residualKind !== 'signed' || !result.data.byYear)
  )
    throw new Error('invalid interval calibration: worst-year needs signed residuals by year');
  if (
    result.data.residualKind !== 'signed' &&
    Object.values(result.data.residuals).some((l) => l.some((r) => r < 0))
  )
    throw new Error('invalid interval calibration: negative absolute residuals');
  return result.data;
}
