import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Parser } from 'csv-parse';
import { readPredictionRows } from '../data/prediction-input';

/** A request body the service refuses with 400 and this message. */
export class BodyError extends Error {
  override name = 'BodyError';
}

/** CSV text parsed in slices of this many characters, the event loop free between two. */
const CSV_SLICE_CHARS = 16 * 1024;
/** Bodies up to this size are parsed in one go (well under a millisecond). */
const ONE_GO_CHARS = 32 * 1024;

/**
 * Row objects from a request body: JSON (an array, `{"inputs": [...]}`, the Mage body) or CSV with a header,
 * as the CLI reads them. A JSON content type is always read as JSON, so `"hello"`, `42` or `null` get a message
 * about JSON rather than about CSV. Large CSV is parsed in slices so other requests are answered meanwhile.
 */
export async function rowsFromBody(
  body: unknown,
  contentType: string | undefined,
): Promise<Record<string, unknown>[]> {
  if (typeof body !== 'string') throw new BodyError('send rows as application/json or text/csv');
  const text = body.trim();
  const json = (contentType ?? '').toLowerCase().includes('json');
  if (json && text !== '' && !text.startsWith('[') && !text.startsWith('{')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new BodyError(`request body: invalid JSON (${(err as Error).message})`);
    }
    throw new BodyError(
      `request body: expected a JSON array of rows or an object with "inputs", got ${describeJson(value)}`,
    );
  }
  if (json || text.length <= ONE_GO_CHARS || text.startsWith('[') || text.startsWith('{')) {
    try {
      return readPredictionRows(body, 'request body');
    } catch (err) {
      throw new BodyError((err as Error).message);
    }
  }
  return csvInSlices(text);
}

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `a string (${JSON.stringify(value.slice(0, 40))})`;
  return `a ${typeof value} (${JSON.stringify(value)})`;
}

async function csvInSlices(text: string): Promise<Record<string, unknown>[]> {
  const records: Record<string, unknown>[] = [];
  const parser = new Parser({ columns: true, skip_empty_lines: true, trim: true });
  let failure: Error | undefined;
  parser.on('readable', () => {
    for (let record = parser.read(); record !== null; record = parser.read()) records.push(record);
  });
  parser.on('error', (err) => (failure ??= err));
  for (let at = 0; at < text.length && !failure; at += CSV_SLICE_CHARS) {
    parser.write(text.slice(at, at + CSV_SLICE_CHARS));
    await yieldToEventLoop();
  }
  if (!failure) {
    const ended = new Promise<void>((resolve) => parser.once('end', resolve).once('error', () => resolve()));
    parser.end();
    await ended;
  }
  if (failure) throw new BodyError(`request body: not valid JSON or CSV (${failure.message})`);
  if (records.length === 0) throw new BodyError('request body: the CSV has a header but no rows');
  return records;
}
