/** Validation of rows given for prediction (JSON objects or CSV records turned into objects). */
import { parseDecimal } from './decimal';
import { tryParseLocalDateTime } from './local-date-time';
import type { TrafficRow } from '../contracts/domain';

/** A prediction input row that cannot be used; names the row index and the field. */
export class PredictionInputError extends Error {
  constructor(
    readonly row: number,
    readonly field: string,
    problem: string,
  ) {
    super(`row ${row}, field ${field}: ${problem}`);
    this.name = 'PredictionInputError';
  }
}

function predictionNumber(value: unknown, row: number, field: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new PredictionInputError(row, field, `expected a finite number, got ${value}`);
    return value;
  }
  if (typeof value === 'string') {
    const parsed = parseDecimal(value.trim());
    if (parsed !== undefined) return parsed;
  }
  throw new PredictionInputError(
    row,
    field,
    `expected a number, got ${JSON.stringify(value) ?? String(value)}`,
  );
}

function predictionString(value: unknown, row: number, field: string): string {
  if (typeof value === 'string' && value.length > 0) return value;
  const hint = field === 'holiday' ? ' (use "None" for an ordinary day)' : '';
  throw new PredictionInputError(
    row,
    field,
    `expected a non-empty string, got ${JSON.stringify(value) ?? String(value)}${hint}`,
  );
}

/**
 * Validates rows given for prediction (e.g. the seed's inference inputs): numbers may be numeric strings
 * ("288.28"), extra keys such as traffic_volume are ignored. Throws PredictionInputError on the first problem.
 */
export function parsePredictionRows(objects: unknown[], firstRow = 0): TrafficRow[] {
  if (!Array.isArray(objects)) throw new TypeError('prediction input must be an array of objects');
  return objects.map((value, at) => {
    // Errors name the row's index in the whole input (`objects` may be one chunk of it).
    const index = firstRow + at;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new PredictionInputError(index, '*', 'expected an object');
    }
    const o = value as Record<string, unknown>;
    const dateText = predictionString(o.date_time, index, 'date_time');
    const dateTime = tryParseLocalDateTime(dateText.trim());
    if (dateTime === undefined) {
      throw new PredictionInputError(
        index,
        'date_time',
        `invalid date_time ${JSON.stringify(dateText)}, expected YYYY-MM-DD HH:MM:SS`,
      );
    }
    return {
      holiday: predictionString(o.holiday, index, 'holiday'),
      temp: predictionNumber(o.temp, index, 'temp'),
      rain_1h: predictionNumber(o.rain_1h, index, 'rain_1h'),
      snow_1h: predictionNumber(o.snow_1h, index, 'snow_1h'),
      clouds_all: predictionNumber(o.clouds_all, index, 'clouds_all'),
      weather_main: predictionString(o.weather_main, index, 'weather_main'),
      // Optional: only feature pipelines fitted with it use it; absent or empty encodes as unseen.
      ...(o.weather_description === undefined ||
      o.weather_description === null ||
      o.weather_description === ''
        ? {}
        : { weather_description: predictionString(o.weather_description, index, 'weather_description') }),
      date_time: dateTime,
    };
  });
}
