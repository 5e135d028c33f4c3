/**
 * Feature pipeline v2: what v1 (the seed's) misses about the calendar and the sensors.
 *
 * - a holiday covers every hour of its day (the data mark it on the 00:00 row only), by the calendar
 *   (federal holidays and the State Fair's opening day); a row that names a known holiday is a holiday row. No feature depends on the other
 *   rows of the batch: a row alone gets the features it gets in any batch; with `holidays: 'major'` (issue 22)
 *   only the six holidays most employers close on count, the other federal holidays and the State Fair are
 *   ordinary days;
 * - the day before or after a holiday, day of year, working day, and hour × working day as one column;
 * - impossible readings (0 K, rain beyond any recorded hourly rainfall, cloud cover outside 0–100 %)
 *   become missing values (NaN, which XGBoost routes by learned default) and are counted;
 * - `weather_description` may be named as a one-hot input column; rows without it encode as all zeros.
 *
 * Every feature records the raw input columns it derives from (`featureInputs`), for explanations that
 * group contributions by raw column.
 */
import { z } from 'zod';
import type { DenseMatrix } from '../contracts/domain';
import { DEFAULT_SCHEMA, NUMERIC_FIELDS, type DatasetSchema } from '../data/dataset-schema';
import { DEFAULT_CATEGORY_MERGE, holidayFlag } from './features';
import { dayOfWeek, daysFromCivil } from '../data/local-date-time';
import type { TrafficRow } from '../contracts/domain';
import {
  holidayNameOf,
  isFederalHoliday,
  MAJOR_HOLIDAY_NAMES,
  majorHolidays,
  stateFairOpening,
} from '../data/us-holidays';
import { HOLIDAY_CALENDARS, type HolidayCalendar } from '../contracts/dataset';

export const FEATURE_PIPELINE_V2 = 2;

type NumericColumn = (typeof NUMERIC_FIELDS)[number];
const CATEGORICAL_COLUMNS = ['weather_main', 'weather_description'] as const;
type CategoricalColumn = (typeof CATEGORICAL_COLUMNS)[number];

/** Readings outside these bounds are impossible and become missing values. */
const VALID_RANGES: Readonly<Record<NumericColumn, { min: number; max: number }>> = {
  temp: { min: 200, max: 340 }, // Kelvin: -73 °C … 67 °C
  rain_1h: { min: 0, max: 300 }, // mm in one hour (the world record is about 305)
  snow_1h: { min: 0, max: 300 },
  clouds_all: { min: 0, max: 100 }, // %
};

const CALENDAR_FEATURES = [
  'hour',
  'month',
  'day_of_week',
  'day_of_year',
  'working_day',
  'hour_by_working_day',
] as const;
const HOLIDAY_FEATURES = ['holiday_day', 'holiday_adjacent'] as const;
/** The calendar features v2 derives from the date-time (and holidays); any of them can be left out (ablation). */
export const DERIVED_FEATURES_V2: readonly string[] = [...CALENDAR_FEATURES, ...HOLIDAY_FEATURES];

export interface FeaturePipelineV2 {
  kind: 'traffic-features';
  version: typeof FEATURE_PIPELINE_V2;
  numericColumns: NumericColumn[];
  /** Whether the schema names `holiday` (the calendar still marks federal holidays without it). */
  holidayColumn: boolean;
  categoricalColumns: CategoricalColumn[];
  /** Applied to weather_main only, as in v1. */
  categoryMerge: Record<string, string>;
  /** Values (after merging) seen in training per categorical column, sorted. */
  vocabularies: Partial<Record<CategoricalColumn, string[]>>;
  featureNames: string[];
  /** For every feature name, the raw input columns it is computed from. */
  featureInputs: Record<string, string[]>;
  /** Derived features left out (ablation); absent: none. */
  omitted?: string[];
  /** `major`: only MAJOR_HOLIDAY_NAMES are holidays; absent: `federal` (pipelines stored before issue 22). */
  holidays?: HolidayCalendar;
}

export interface TransformedRows {
  matrix: DenseMatrix;
  /** Impossible values replaced by missing, per raw column. */
  cleaned: Record<string, number>;
}

function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function categoryOf(row: TrafficRow, column: CategoricalColumn, merge: Record<string, string>): string {
  if (column === 'weather_description') return row.weather_description ?? '';
  const value = row.weather_main;
  return Object.prototype.hasOwnProperty.call(merge, value) ? merge[value] : value;
}

function namesAndInputs(
  p: Pick<
    FeaturePipelineV2,
    'numericColumns' | 'holidayColumn' | 'categoricalColumns' | 'vocabularies' | 'omitted'
  >,
  dateTimeColumn: string,
): { featureNames: string[]; featureInputs: Record<string, string[]> } {
  const all = namesAndInputsOfAll(p, dateTimeColumn);
  const omitted = new Set(p.omitted ?? []);
  const featureInputs: Record<string, string[]> = {};
  for (const [name, inputs] of Object.entries(all)) if (!omitted.has(name)) featureInputs[name] = inputs;
  return { featureNames: Object.keys(featureInputs), featureInputs };
}

function namesAndInputsOfAll(
  p: Pick<FeaturePipelineV2, 'numericColumns' | 'holidayColumn' | 'categoricalColumns' | 'vocabularies'>,
  dateTimeColumn: string,
): Record<string, string[]> {
  const featureInputs: Record<string, string[]> = {};
  for (const column of p.numericColumns) featureInputs[column] = [column];
  const holidayInputs = p.holidayColumn ? ['holiday', dateTimeColumn] : [dateTimeColumn];
  for (const name of HOLIDAY_FEATURES) featureInputs[name] = holidayInputs;
  for (const name of CALENDAR_FEATURES) {
    featureInputs[name] =
      name === 'working_day' || name === 'hour_by_working_day' ? holidayInputs : [dateTimeColumn];
  }
  for (const column of p.categoricalColumns) {
    for (const value of p.vocabularies[column] ?? []) featureInputs[`${column}=${value}`] = [column];
  }
  return featureInputs;
}

/** Throws naming the first unknown name: only derived features can be omitted (columns leave the schema). */
export function assertOmittableV2(names: readonly string[]): void {
  for (const name of names) {
    if (!DERIVED_FEATURES_V2.includes(name)) {
      throw new Error(
        `unknown v2 feature ${JSON.stringify(name)} to leave out: expected one of ${DERIVED_FEATURES_V2.join(', ')}`,
      );
    }
  }
}

export function fitFeaturePipelineV2(input: {
  rows: readonly TrafficRow[];
  schema?: DatasetSchema;
  /** Derived features to leave out (see DERIVED_FEATURES_V2). */
  omit?: readonly string[];
  /** Default `federal`. */
  holidays?: HolidayCalendar;
}): FeaturePipelineV2 {
  const omit = [...new Set(input.omit ?? [])];
  assertOmittableV2(omit);
  const schema = input.schema ?? DEFAULT_SCHEMA;
  const numericColumns: NumericColumn[] = [];
  const categoricalColumns: CategoricalColumn[] = [];
  let holidayColumn = false;
  for (const column of schema.featureColumns) {
    if (column === 'holiday') holidayColumn = true;
    else if ((NUMERIC_FIELDS as readonly string[]).includes(column))
      numericColumns.push(column as NumericColumn);
    else if ((CATEGORICAL_COLUMNS as readonly string[]).includes(column)) {
      categoricalColumns.push(column as CategoricalColumn);
    } else throw new Error(`unsupported feature column ${JSON.stringify(column)}`);
  }
  const categoryMerge = { ...DEFAULT_CATEGORY_MERGE };
  const vocabularies: Partial<Record<CategoricalColumn, string[]>> = {};
  for (const column of categoricalColumns) {
    vocabularies[column] = sortedUnique(
      input.rows.map((row) => categoryOf(row, column, categoryMerge)).filter((v) => v !== ''),
    );
  }
  const parts = {
    numericColumns,
    holidayColumn,
    categoricalColumns,
    vocabularies,
    ...(omit.length > 0 ? { omitted: omit } : {}),
    ...(input.holidays === 'major' ? { holidays: 'major' as const } : {}),
  };
  return {
    kind: 'traffic-features',
    version: FEATURE_PIPELINE_V2,
    ...parts,
    categoryMerge,
    ...namesAndInputs(parts, schema.dateTimeColumn),
  };
}

/**
 * Whether a day (since 1970-01-01) is a holiday by the calendar: an observed US federal holiday, looked up in
 * the calendars of the years around `year` (a neighbour of 31 December is in the next year; an observed New
 * Year's Day can fall on 31 December), or the State Fair's opening day. With the `major` calendar only the six
 * holidays most employers close on count (MAJOR_HOLIDAY_NAMES).
 */
function calendarHolidayOn(day: number, year: number, calendar: HolidayCalendar): boolean {
  for (const y of [year - 1, year, year + 1]) {
    if (calendar === 'major') {
      if (majorHolidays(y).has(day)) return true;
      continue;
    }
    if (isFederalHoliday(day, y) || stateFairOpening(y) === day) return true;
  }
  return false;
}

/** Row-major float32 matrix; impossible readings are NaN (missing) and counted per column. */
export function transformRowsV2(pipeline: FeaturePipelineV2, rows: readonly TrafficRow[]): TransformedRows {
  const cols = pipeline.featureNames.length;
  const data = new Float32Array(rows.length * cols);
  const cleaned: Record<string, number> = {};
  const index = new Map(pipeline.featureNames.map((name, i) => [name, i]));
  const at = (name: string): number => index.get(name) as number;
  // An omitted derived feature has no column (-1): its value is computed but not written.
  const atIfKept = (name: string): number => index.get(name) ?? -1;
  const numeric = pipeline.numericColumns.map((column) => ({
    column,
    col: at(column),
    range: VALID_RANGES[column],
  }));
  const categorical = pipeline.categoricalColumns.map((column) => {
    const columns = new Map<string, number>();
    for (const value of pipeline.vocabularies[column] ?? []) columns.set(value, at(`${column}=${value}`));
    return { column, columns };
  });
  const derivedCols = DERIVED_FEATURES_V2.map(atIfKept);
  const calendar: HolidayCalendar = pipeline.holidays ?? 'federal';
  const derived = new Float64Array(derivedCols.length);

  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    const base = r * cols;
    for (const { column, col, range } of numeric) {
      const value = row[column];
      if (value < range.min || value > range.max) {
        data[base + col] = Number.NaN;
        cleaned[column] = (cleaned[column] ?? 0) + 1;
      } else data[base + col] = value;
    }
    const t = row.date_time;
    const day = daysFromCivil(t.year, t.month, t.day);
    const dow = dayOfWeek(t);
    // Each row's features come from the row and the calendar alone, never from other rows of the batch: a
    // row scored alone gets the features it has in any batch. A day is a holiday when the calendar says so or
    // the row itself names a known holiday.
    const named =
      pipeline.holidayColumn &&
      holidayFlag(row.holiday) === 1 &&
      (calendar === 'federal' || MAJOR_HOLIDAY_NAMES.includes(holidayNameOf(row.holiday) as string));
    const holidayToday = named || calendarHolidayOn(day, t.year, calendar);
    const nearHoliday =
      calendarHolidayOn(day - 1, t.year, calendar) || calendarHolidayOn(day + 1, t.year, calendar);
    const workingDay = dow < 5 && !holidayToday ? 1 : 0;
    // In DERIVED_FEATURES_V2 order: CALENDAR_FEATURES, then HOLIDAY_FEATURES.
    derived[0] = t.hour;
    derived[1] = t.month;
    derived[2] = dow;
    derived[3] = day - daysFromCivil(t.year, 1, 1) + 1;
    derived[4] = workingDay;
    derived[5] = t.hour + (workingDay === 1 ? 0 : 24);
    derived[6] = holidayToday ? 1 : 0;
    derived[7] = !holidayToday && nearHoliday ? 1 : 0;
    for (let k = 0; k < derivedCols.length; k++) {
      if (derivedCols[k] >= 0) data[base + derivedCols[k]] = derived[k];
    }
    for (const { column, columns } of categorical) {
      const col = columns.get(categoryOf(row, column, pipeline.categoryMerge));
      if (col !== undefined) data[base + col] = 1;
    }
  }
  return { matrix: { data, rows: rows.length, cols }, cleaned };
}

const pipelineV2Schema = z.object({
  kind: z.literal('traffic-features'),
  version: z.literal(FEATURE_PIPELINE_V2),
  numericColumns: z.array(z.enum(NUMERIC_FIELDS)),
  holidayColumn: z.boolean(),
  categoricalColumns: z.array(z.enum(CATEGORICAL_COLUMNS)),
  categoryMerge: z.record(z.string(), z.string()),
  vocabularies: z.partialRecord(z.enum(CATEGORICAL_COLUMNS), z.array(z.string())),
  featureNames: z.array(z.string()).min(1),
  featureInputs: z.record(z.string(), z.array(z.string()).min(1)),
  omitted: z.array(z.string()).optional(),
  holidays: z.enum(HOLIDAY_CALENDARS).optional(),
});

/** Checks a stored v2 pipeline: shape, and that its feature names are exactly what its definition produces. */
export function validateFeaturePipelineV2(json: unknown): FeaturePipelineV2 {
  const result = pipelineV2Schema.safeParse(json);
  if (!result.success) throw new Error(`invalid feature pipeline v2: ${z.prettifyError(result.error)}`);
  const p = result.data;
  if (p.omitted) assertOmittableV2(p.omitted);
  const expected = Object.keys(p.featureInputs);
  const derived = namesAndInputs(p, 'date_time').featureNames;
  if (
    expected.length !== p.featureNames.length ||
    expected.some((name, i) => name !== p.featureNames[i] || name !== derived[i])
  ) {
    throw new Error(
      `invalid feature pipeline v2: featureNames ${JSON.stringify(p.featureNames)} do not match its definition`,
    );
  }
  return p;
}
