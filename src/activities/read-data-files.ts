import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { DataFileRef } from '../contracts';
import type { DatasetSchema } from '../data/dataset-schema';
import type { TrafficRow } from '../contracts/domain';
import { DatasetError, parseTrafficCsv } from '../data/traffic-csv';
import type { BlobStore } from '../storage/blob-store';
import { artifactKeys } from './artifact-keys';
import { appendAll } from '../common/append-all';

/** Short, stable name of a schema (absent: the data set's own columns) for the inspected-rows key. */
export function schemaKeyOf(schema: DatasetSchema | undefined): string {
  return createHash('sha256')
    .update(JSON.stringify(schema ?? null))
    .digest('hex')
    .slice(0, 12);
}

/**
 * Keeps the rows a check's inspection parsed, once per file content and schema: drift, live accuracy and the
 * challenger re-check then take them by reference instead of reading and parsing the file again.
 */
export async function storeInspectedRows(
  artifacts: BlobStore,
  sha256: string,
  schema: DatasetSchema | undefined,
  rows: readonly TrafficRow[],
): Promise<void> {
  const key = artifactKeys.inspectedRows(sha256, schemaKeyOf(schema));
  if (await artifacts.head(key)) return;
  await artifacts.putIfAbsent(key, JSON.stringify(rows));
}

/**
 * The rows of data files, for checks that only report on them (drift, live accuracy, the challenger re-check).
 * A file the inspection parsed is taken from its parsed copy (the very version inspected); otherwise (inputs of
 * checks started before the copies existed) it is read and parsed. A file that does not parse is named in `unreadable` instead of
 * failing the activity; a training fails on it in full.
 */
export async function readDataFiles(
  deps: { artifacts: BlobStore; store: BlobStore },
  files: readonly DataFileRef[],
  schema: DatasetSchema | undefined,
): Promise<{ rows: TrafficRow[]; unreadable: string[]; fromInspection: number }> {
  const rows: TrafficRow[] = [];
  const unreadable: string[] = [];
  let fromInspection = 0;
  for (const file of files) {
    const ref: Exclude<DataFileRef, string> = typeof file === 'string' ? { key: file } : file;
    Context.current().heartbeat({ step: 'reading', key: ref.key });
    const inspected =
      ref.sha256 === undefined
        ? undefined
        : await deps.artifacts.tryGet(artifactKeys.inspectedRows(ref.sha256, schemaKeyOf(schema)));
    if (inspected) {
      appendAll(rows, JSON.parse(inspected.toString('utf8')) as TrafficRow[]);
      fromInspection += 1;
      continue;
    }
    try {
      const text = (await deps.store.get(ref.key)).toString('utf8');
      appendAll(rows, parseTrafficCsv({ text, file: ref.key, schema }).rows);
    } catch (err) {
      if (!(err instanceof DatasetError)) throw err;
      unreadable.push(err.message);
    }
  }
  return { rows, unreadable, fromInspection };
}
