import { isKnownHolidayValue, KNOWN_HOLIDAY_NAMES } from '../data/us-holidays';
import { parsePredictionRows, PredictionInputError } from '../data/prediction-rows';
import type { AnyFeaturePipeline } from '../features/feature-pipeline';
import type { TrafficRow } from '../contracts/domain';

/** One problem with one field of one row, as the 400 answer lists it. */
export interface RowProblem {
  row: number;
  field: string;
  expected: string;
  got: unknown;
  /** For metrics: what kind of problem. */
  reason: 'missing' | 'type' | 'format' | 'range' | 'not-an-object';
}

/** A row accepted but worth knowing about (answered in `warnings`, counted in metrics). */
export interface RowFlag {
  row: number;
  field: string;
  message: string;
  reason: 'unknown-category';
}

/**
 * The service's input policy (README, "Prediction service"):
 * - the fields, types and date format are those of the batch path (`parsePredictionRows`);
 * - physically impossible values are rejected: temperature outside 150–350 K, rain or snow outside 0–500 mm
 *   in the hour (the world's heaviest hourly rain is about 305 mm), clouds outside 0–100 % (non-finite
 *   numbers, such as JSON's 1e309, never parse);
 * - a weather_main the model never saw is accepted, encoded as the training encodes it (all zeros, like
 *   DictVectorizer), and flagged in the answer's `warnings`;
 * - a holiday is matched to the data's names case-insensitively; an unknown name is accepted, treated as no
 *   holiday, and flagged in `warnings` the same way.
 */
export const PHYSICAL_RANGES = {
  temp: { min: 150, max: 350, expected: 'a temperature in kelvin between 150 and 350' },
  rain_1h: { min: 0, max: 500, expected: 'rain in mm in the hour, between 0 and 500' },
  snow_1h: { min: 0, max: 500, expected: 'snow in mm in the hour, between 0 and 500' },
  clouds_all: { min: 0, max: 100, expected: 'cloud cover in %, between 0 and 100' },
} as const;

const EXPECTED: Record<string, string> = {
  holiday: 'a non-empty string ("None" for an ordinary day)',
  temp: 'a finite number (numeric strings accepted)',
  rain_1h: 'a finite number (numeric strings accepted)',
  snow_1h: 'a finite number (numeric strings accepted)',
  clouds_all: 'a finite number (numeric strings accepted)',
  weather_main: 'a non-empty string',
  date_time: 'a date-time "YYYY-MM-DD HH:MM:SS"',
};

/** A row that passes parsePredictionRows: the background against which one field at a time is checked. */
const VALID_ROW: Readonly<Record<string, unknown>> = {
  holiday: 'None',
  temp: 280,
  rain_1h: 0,
  snow_1h: 0,
  clouds_all: 0,
  weather_main: 'Clear',
  date_time: '2016-01-01 00:00:00',
};

export interface ValidatedRows {
  rows: TrafficRow[];
  problems: RowProblem[];
  flags: RowFlag[];
}

/** Parses and checks every row; lists every problem instead of stopping at the first. */
export function validateRequestRows(
  objects: readonly unknown[],
  pipeline: AnyFeaturePipeline,
): ValidatedRows {
  let rows: TrafficRow[];
  try {
    rows = parsePredictionRows(objects as unknown[]);
  } catch (err) {
    if (!(err instanceof PredictionInputError)) throw err;
    return { rows: [], problems: diagnose(objects), flags: [] };
  }
  const problems: RowProblem[] = [];
  const flags: RowFlag[] = [];
  const known = knownCategories(pipeline);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    for (const field of RANGED_FIELDS) {
      const problem = rangeProblem(i, field, row[field], (objects[i] as Record<string, unknown>)[field]);
      if (problem) problems.push(problem);
    }
    if (known && !known.has(row.weather_main)) {
      flags.push({
        row: i,
        field: 'weather_main',
        message: `unknown category ${JSON.stringify(row.weather_main)} (the model knows ${[...known].join(', ')}): encoded as none of them`,
        reason: 'unknown-category',
      });
    }
    if (!isKnownHolidayValue(row.holiday)) {
      flags.push({
        row: i,
        field: 'holiday',
        message: `unknown holiday ${JSON.stringify(row.holiday)} (known: None, ${KNOWN_HOLIDAY_NAMES.join(', ')}, in any case): treated as no holiday`,
        reason: 'unknown-category',
      });
    }
  }
  return { rows: problems.length ? [] : rows, problems, flags };
}

/**
 * The slow path, only for rejected requests: each field is checked alone against a valid background row by
 * the same parser, so the rules cannot drift apart from the batch path's.
 */
function diagnose(objects: readonly unknown[]): RowProblem[] {
  const problems: RowProblem[] = [];
  objects.forEach((value, row) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.push({
        row,
        field: '*',
        expected: 'an object with the row fields',
        got: value,
        reason: 'not-an-object',
      });
      return;
    }
    const o = value as Record<string, unknown>;
    for (const field of Object.keys(VALID_ROW)) {
      try {
        const [parsed] = parsePredictionRows([{ ...VALID_ROW, [field]: o[field] }]);
        const ranged = RANGED_FIELDS.find((f) => f === field);
        const problem = ranged && rangeProblem(row, ranged, parsed[ranged], o[field]);
        if (problem) problems.push(problem);
      } catch (err) {
        if (!(err instanceof PredictionInputError)) throw err;
        const value = o[field];
        if (typeof value === 'number' && !Number.isFinite(value)) {
          problems.push({
            row,
            field,
            expected: `${EXPECTED[field]}; the number given is beyond the largest representable (about 1.8e308)`,
            got: String(value),
            reason: 'range',
          });
          continue;
        }
        const missing = o[field] === undefined || o[field] === null;
        problems.push({
          row,
          field,
          expected: EXPECTED[field],
          got: missing ? null : o[field],
          reason: missing
            ? 'missing'
            : field === 'date_time' && typeof o[field] === 'string'
              ? 'format'
              : 'type',
        });
      }
    }
  });
  return problems;
}

const RANGED_FIELDS = Object.keys(PHYSICAL_RANGES) as (keyof typeof PHYSICAL_RANGES)[];

function rangeProblem(
  row: number,
  field: keyof typeof PHYSICAL_RANGES,
  value: number,
  got: unknown,
): RowProblem | undefined {
  const { min, max, expected } = PHYSICAL_RANGES[field];
  return value < min || value > max ? { row, field, expected, got, reason: 'range' } : undefined;
}

/** weather_main values the pipeline encodes (its vocabulary and the merged aliases); undefined when it has none. */
function knownCategories(pipeline: AnyFeaturePipeline): Set<string> | undefined {
  const vocabulary =
    'vocabularies' in pipeline
      ? pipeline.vocabularies.weather_main
      : pipeline.categoricalColumn === null
        ? undefined
        : pipeline.vocabulary;
  if (vocabulary === undefined) return undefined;
  let known = cache.get(pipeline);
  if (!known) {
    known = new Set(vocabulary);
    for (const [from, to] of Object.entries(pipeline.categoryMerge)) if (known.has(to)) known.add(from);
    cache.set(pipeline, known);
  }
  return known;
}

const cache = new WeakMap<AnyFeaturePipeline, Set<string>>();
