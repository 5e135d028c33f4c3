import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import { appendAll } from '../common/append-all';
import { CsvSyntaxError, csvRecordBatches } from './csv-record-batches';

export class PredictionInputError extends Error {
  override name = 'PredictionInputError';
}

/** The text of `file`, or of stdin for `-` or no file, and a name for it in messages. */
export function readInput(file: string | undefined): { text: string; source: string } {
  if (!file || file === '-') return { text: fs.readFileSync(0, 'utf8'), source: 'stdin' };
  if (!fs.existsSync(file)) throw new Error(`input file not found: ${file}`);
  return { text: fs.readFileSync(file, 'utf8'), source: file };
}

/**
 * Prediction rows from text: a JSON array of objects, the seed's `{ "inputs": [...] }` (also nested in
 * `run.variables` as in its REST payload), or a CSV with a header. Extra fields are kept here and ignored later.
 */
export function readPredictionRows(text: string, source: string): Record<string, unknown>[] {
  const trimmed = text.trim();
  if (trimmed === '') throw new PredictionInputError(`${source}: no input rows (empty input)`);
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) return fromJson(trimmed, source);
  let records: Record<string, string>[];
  try {
    records = parse(trimmed, { columns: true, skip_empty_lines: true, trim: true });
  } catch (err) {
    throw new PredictionInputError(`${source}: not valid JSON or CSV (${(err as Error).message})`);
  }
  if (records.length === 0) throw new PredictionInputError(`${source}: the CSV has a header but no rows`);
  return records;
}

/** CSV is parsed a mebibyte at a time by default (see predictionRowChunks). */
const CSV_SLICE_BYTES = 1024 * 1024;

/**
 * The rows of `input` (as readPredictionRows reads them, with the same messages) in chunks of `chunkRows`. CSV
 * is parsed a slice of `sliceSize` characters or bytes at a time, the event loop free between two, so a file of
 * millions of rows never becomes one string or one array of row objects; JSON is parsed whole.
 */
export async function* predictionRowChunks(
  input: string | Buffer,
  source: string,
  chunkRows: number,
  sliceSize = CSV_SLICE_BYTES,
): AsyncGenerator<Record<string, unknown>[]> {
  const first =
    typeof input === 'string'
      ? input.search(/\S/)
      : input.findIndex((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09);
  if (first < 0) throw new PredictionInputError(`${source}: no input rows (empty input)`);
  const opening = typeof input === 'string' ? input[first] : String.fromCharCode(input[first]);
  if (opening === '[' || opening === '{') {
    const rows = fromJson(input.toString().trim(), source);
    for (let start = 0; start < rows.length; start += chunkRows) yield rows.slice(start, start + chunkRows);
    return;
  }
  let pending: Record<string, unknown>[] = [];
  let rows = 0;
  try {
    for await (const batch of csvRecordBatches(input.slice(first), sliceSize)) {
      appendAll(pending, batch);
      rows += batch.length;
      while (pending.length >= chunkRows) {
        yield pending.slice(0, chunkRows);
        pending = pending.slice(chunkRows);
      }
    }
  } catch (err) {
    if (!(err instanceof CsvSyntaxError)) throw err;
    throw new PredictionInputError(`${source}: not valid JSON or CSV (${err.message})`);
  }
  if (rows === 0) throw new PredictionInputError(`${source}: the CSV has a header but no rows`);
  if (pending.length > 0) yield pending;
}

function fromJson(text: string, source: string): Record<string, unknown>[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new PredictionInputError(`${source}: invalid JSON (${(err as Error).message})`);
  }
  const rows = Array.isArray(value) ? value : unwrap(value);
  if (!rows)
    throw new PredictionInputError(`${source}: expected a JSON array of rows or an object with "inputs"`);
  if (rows.length === 0) throw new PredictionInputError(`${source}: no input rows`);
  rows.forEach((r, i) => {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) {
      throw new PredictionInputError(`${source}: row ${i} is not an object`);
    }
  });
  return rows as Record<string, unknown>[];
}

function unwrap(value: unknown): unknown[] | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const obj = value as Record<string, unknown>;
  if (Array.isArray(obj.inputs)) return obj.inputs;
  const run = obj.run as Record<string, unknown> | undefined;
  const variables = run?.variables as Record<string, unknown> | undefined;
  if (variables && Array.isArray(variables.inputs)) return variables.inputs;
  return undefined;
}

/** The two example rows of the seed's predict payload. */
export const SEED_EXAMPLE_ROWS = [
  {
    holiday: 'None',
    temp: '288.28',
    rain_1h: '0',
    snow_1h: '0',
    clouds_all: '40',
    weather_main: 'Clouds',
    date_time: '2024-10-02 09:00:00',
  },
  {
    holiday: 'Thanksgiving Day',
    temp: '268.24',
    rain_1h: '0',
    snow_1h: '0',
    clouds_all: '64',
    weather_main: 'Clouds',
    date_time: '2024-11-28 00:00:00',
  },
];
