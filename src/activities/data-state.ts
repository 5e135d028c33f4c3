import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { DatasetError, parseTrafficCsv } from '../ml/traffic-csv';
import { diffDataState, stateFingerprint, yearOfKey, type DataState } from '../retraining/data-state';
import { validateDataState } from '../retraining/data-state-schema';
import type { BlobStore } from '../storage/blob-store';
import type {
  CommitDataStateInput,
  DataObject,
  DataStateInspection,
  InspectDataStateInput,
} from '../workflows/types';
import { artifactKeys } from './artifact-keys';
import { nonRetryable } from './errors';

export interface DataStateDeps {
  artifacts: BlobStore;
  openDataStore(uri: string): BlobStore;
}

export function dataUriHash(dataUri: string): string {
  return createHash('sha256').update(dataUri).digest('hex').slice(0, 16);
}

async function loadState(deps: DataStateDeps, dataUri: string): Promise<DataState | undefined> {
  const key = artifactKeys.dataState(dataUriHash(dataUri));
  const raw = await deps.artifacts.tryGet(key);
  if (!raw) return undefined;
  try {
    return validateDataState(JSON.parse(raw.toString('utf8')));
  } catch (err) {
    throw nonRetryable('InvalidInput', `data state ${key} is corrupt: ${(err as Error).message}`);
  }
}

/** Lists `{prefix}_{year}.csv` objects and compares them (key → ETag, size) with the last committed state. */
export async function inspectDataStateWith(
  deps: DataStateDeps,
  input: InspectDataStateInput,
): Promise<DataStateInspection> {
  const store = deps.openDataStore(input.dataUri);
  const objects: DataObject[] = [];
  for (const info of await store.list(`${input.filePrefix}_`)) {
    const year = yearOfKey(info.key, input.filePrefix);
    if (year !== undefined) objects.push({ key: info.key, etag: info.etag, size: info.size, year });
  }
  objects.sort((a, b) => a.year - b.year);
  if (objects.length === 0) {
    throw nonRetryable('DatasetError', `no ${input.filePrefix}_{year}.csv objects in ${input.dataUri}`);
  }
  const current = Object.fromEntries(objects.map((o) => [o.key, { etag: o.etag, size: o.size }]));
  const previous = await loadState(deps, input.dataUri);

  const completeYears: number[] = [];
  for (const object of objects) {
    Context.current().heartbeat({ step: 'inspecting', key: object.key });
    if (await hasDecemberRows(store, object.key)) completeYears.push(object.year);
  }
  return {
    objects,
    completeYears,
    diff: diffDataState(previous, current),
    // The data URI is part of the identity: the same files in two places are two data states.
    fingerprint: `${dataUriHash(input.dataUri).slice(0, 8)}-${stateFingerprint(current)}`,
    previousCommittedAt: previous?.committedAt,
  };
}

/** A year counts as complete when its file has December rows; an unreadable file does not (training will say why). */
async function hasDecemberRows(store: BlobStore, key: string): Promise<boolean> {
  try {
    const parsed = parseTrafficCsv({ text: (await store.get(key)).toString('utf8'), file: key });
    return parsed.rows.some((r) => r.date_time.month === 12);
  } catch (err) {
    if (err instanceof DatasetError) return false;
    throw err;
  }
}

/** Records the objects a successful training consumed; the next check compares against them. */
export async function commitDataStateWith(
  deps: DataStateDeps,
  input: CommitDataStateInput,
): Promise<{ stateRef: string }> {
  const stateRef = artifactKeys.dataState(dataUriHash(input.dataUri));
  const state: DataState = {
    dataUri: input.dataUri,
    objects: Object.fromEntries(input.objects.map((o) => [o.key, { etag: o.etag, size: o.size }])),
    committedAt: new Date().toISOString(),
    trainingWorkflowId: input.trainingWorkflowId,
  };
  await deps.artifacts.put(stateRef, JSON.stringify(state, null, 2));
  return { stateRef };
}
