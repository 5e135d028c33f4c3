import { Context } from '@temporalio/activity';
import type { DatasetSchema } from '../data/dataset-schema';
import { DatasetError, parseTrafficCsv } from '../data/traffic-csv';
import type { TrafficRow } from '../contracts/domain';
import type { BlobStore } from '../storage/blob-store';

/**
 * The rows of the data files `keys`, for checks that only report on them (drift, live accuracy): a file that
 * does not parse is named in `unreadable` instead of failing the activity; a training fails on it in full.
 */
export async function readDataFiles(
  store: BlobStore,
  keys: readonly string[],
  schema: DatasetSchema | undefined,
): Promise<{ rows: TrafficRow[]; unreadable: string[] }> {
  const rows: TrafficRow[] = [];
  const unreadable: string[] = [];
  for (const key of keys) {
    Context.current().heartbeat({ step: 'reading', key });
    try {
      const text = (await store.get(key)).toString('utf8');
      rows.push(...parseTrafficCsv({ text, file: key, schema }).rows);
    } catch (err) {
      if (!(err instanceof DatasetError)) throw err;
      unreadable.push(err.message);
    }
  }
  return { rows, unreadable };
}
