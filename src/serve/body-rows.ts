import { appendAll } from '../common/append-all';
import { PredictionInputError, predictionRowChunks, readPredictionRows } from '../data/prediction-input';

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
  try {
    for await (const chunk of predictionRowChunks(text, 'request body', Infinity, CSV_SLICE_CHARS))
      appendAll(records, chunk);
  } catch (err) {
    if (!(err instanceof PredictionInputError)) throw err;
    throw new BodyError(err.message);
  }
  return records;
}
