import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Parser } from 'csv-parse';

/** Raised for text that is not CSV with a header; carries the parser's own message. */
export class CsvSyntaxError extends Error {
  override name = 'CsvSyntaxError';
}

/**
 * The records of CSV text with a header row (trimmed fields, empty lines skipped), parsed one slice of `sliceSize`
 * characters or bytes at a time: each slice's records come as one batch, and the event loop runs between two
 * slices. Neither the records of the whole text nor a string copy of a Buffer are ever held at once.
 */
export async function* csvRecordBatches(
  text: string | Buffer,
  sliceSize: number,
): AsyncGenerator<Record<string, string>[]> {
  const parser = new Parser({ columns: true, skip_empty_lines: true, trim: true });
  let batch: Record<string, string>[] = [];
  let failure: Error | undefined;
  parser.on('data', (record: Record<string, string>) => batch.push(record));
  parser.on('error', (err: Error) => (failure ??= err));
  const take = (): Record<string, string>[] => {
    if (failure) throw new CsvSyntaxError(failure.message);
    const taken = batch;
    batch = [];
    return taken;
  };
  for (let at = 0; at < text.length; at += sliceSize) {
    parser.write(text.slice(at, at + sliceSize));
    await yieldToEventLoop();
    const records = take();
    if (records.length > 0) yield records;
  }
  const ended = new Promise<void>((resolve) => parser.once('end', resolve).once('error', () => resolve()));
  parser.end();
  await ended;
  const last = take();
  if (last.length > 0) yield last;
}
