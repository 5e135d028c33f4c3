import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { DatasetError, parseTrafficCsv } from '../data/traffic-csv';
import { diffDataState, stateFingerprint, yearOfKey, type DataState } from '../retraining/data-state';
import { validateDataState } from '../retraining/data-state-schema';
import type { BlobStore } from '../storage/blob-store';
import type {
  CommitDataStateInput,
  CommitDataStateResult,
  DataObject,
  DataStateInspection,
  InspectDataStateInput,
  UnreadableObject,
} from '../contracts';
import { artifactKeys } from './artifact-keys';
import { nonRetryable } from './errors';
import { storeInspectedRows } from './read-data-files';

export interface DataStateDeps {
  artifacts: BlobStore;
  openDataStore(uri: string): BlobStore;
}

export function dataUriHash(dataUri: string): string {
  return createHash('sha256').update(dataUri).digest('hex').slice(0, 16);
}

/** One state per (model, data URI, file prefix): two models on one bucket, or two prefixes, never share one. */
export function dataStateKey(modelName: string, dataUri: string, filePrefix: string): string {
  return createHash('sha256')
    .update(JSON.stringify([modelName, dataUri, filePrefix]))
    .digest('hex')
    .slice(0, 16);
}

function parseState(raw: Buffer, key: string): DataState {
  try {
    return validateDataState(JSON.parse(raw.toString('utf8')));
  } catch (err) {
    throw nonRetryable('InvalidInput', `data state ${key} is corrupt: ${(err as Error).message}`);
  }
}

async function loadLegacyState(deps: DataStateDeps, dataUri: string): Promise<DataState | undefined> {
  const key = artifactKeys.dataState(dataUriHash(dataUri));
  const raw = await deps.artifacts.tryGet(key);
  return raw ? parseState(raw, key) : undefined;
}

/** The newest entry of a keyed state, with its seq (0 when nothing was committed under the key yet). */
async function loadKeyedState(
  deps: DataStateDeps,
  stateKey: string,
): Promise<{ state?: DataState; seq: number }> {
  const prefix = artifactKeys.dataStatePrefix(stateKey);
  const seqs = (await deps.artifacts.list(prefix))
    .map((info) => /^(\d{10})\.json$/.exec(info.key.slice(prefix.length)))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]));
  if (seqs.length === 0) return { seq: 0 };
  const seq = Math.max(...seqs);
  const key = artifactKeys.dataStateEntry(stateKey, seq);
  return { state: parseState(await deps.artifacts.get(key), key), seq };
}

/**
 * Lists `{prefix}_{year}.csv` objects, reads each one (its SHA-256, whether it parses with the check's
 * schema, whether it reaches December) and compares key → (ETag, size) with the last committed state.
 */
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
  let previous: DataState | undefined;
  let stateSeq: number | undefined;
  if (input.modelName !== undefined) {
    const keyed = await loadKeyedState(deps, dataStateKey(input.modelName, input.dataUri, input.filePrefix));
    // A model first checked after the keyed states came in starts from the state its data URI had.
    previous = keyed.state ?? (await loadLegacyState(deps, input.dataUri));
    stateSeq = keyed.seq;
  } else {
    previous = await loadLegacyState(deps, input.dataUri);
  }

  const completeYears: number[] = [];
  const unreadable: UnreadableObject[] = [];
  for (const object of objects) {
    Context.current().heartbeat({ step: 'inspecting', key: object.key });
    // Conditioned on the listed ETag: the hash is of the version listed (a file replaced since fails the attempt).
    const read = await store.read(object.key, { ifMatch: object.etag });
    if (!read) throw new Error(`${object.key} was listed but is gone from ${input.dataUri}`);
    const { bytes } = read;
    object.sha256 = createHash('sha256').update(bytes).digest('hex');
    try {
      const parsed = parseTrafficCsv({
        text: bytes.toString('utf8'),
        file: object.key,
        schema: input.schema,
      });
      if (parsed.rows.some((r) => r.date_time.month === 12)) completeYears.push(object.year);
      if (input.modelName !== undefined)
        await storeInspectedRows(deps.artifacts, object.sha256, input.schema, parsed.rows);
    } catch (err) {
      if (!(err instanceof DatasetError)) throw err;
      unreadable.push({ key: object.key, error: err.message });
    }
  }
  return {
    objects,
    completeYears,
    diff: diffDataState(previous, current),
    // The data URI is part of the identity: the same files in two places are two data states.
    fingerprint: `${dataUriHash(input.dataUri).slice(0, 8)}-${stateFingerprint(current)}`,
    previousCommittedAt: previous?.committedAt,
    ...(input.modelName === undefined
      ? {}
      : { stateSeq, previousDatasetHash: previous?.datasetHash, unreadable }),
  };
}

/**
 * Records the objects a successful training consumed; the next check compares against them. A keyed commit
 * is a compare-and-set: it creates entry expectedSeq + 1 only if no other check created it first.
 */
export async function commitDataStateWith(
  deps: DataStateDeps,
  input: CommitDataStateInput,
): Promise<CommitDataStateResult> {
  const state: DataState = {
    dataUri: input.dataUri,
    objects: Object.fromEntries(input.objects.map((o) => [o.key, { etag: o.etag, size: o.size }])),
    committedAt: new Date().toISOString(),
    trainingWorkflowId: input.trainingWorkflowId,
  };
  if (input.modelName === undefined || input.filePrefix === undefined) {
    const stateRef = artifactKeys.dataState(dataUriHash(input.dataUri));
    await deps.artifacts.put(stateRef, JSON.stringify(state, null, 2));
    return { stateRef };
  }
  const stateKey = dataStateKey(input.modelName, input.dataUri, input.filePrefix);
  const seq = (input.expectedSeq ?? 0) + 1;
  const stateRef = artifactKeys.dataStateEntry(stateKey, seq);
  const entry: DataState = {
    ...state,
    seq,
    modelName: input.modelName,
    filePrefix: input.filePrefix,
    ...(input.datasetHash === undefined ? {} : { datasetHash: input.datasetHash }),
  };
  if (await deps.artifacts.putIfAbsent(stateRef, JSON.stringify(entry, null, 2))) {
    return { stateRef, committed: true, seq };
  }
  // Entry seq exists: ours from an earlier attempt of this activity, or another check's.
  const winner = parseState(await deps.artifacts.get(stateRef), stateRef);
  if (winner.trainingWorkflowId === input.trainingWorkflowId && sameObjects(winner, entry)) {
    return { stateRef, committed: true, seq };
  }
  const latest = await loadKeyedState(deps, stateKey);
  return { stateRef: artifactKeys.dataStateEntry(stateKey, latest.seq), committed: false, seq: latest.seq };
}

function sameObjects(a: DataState, b: DataState): boolean {
  return stateFingerprint(a.objects) === stateFingerprint(b.objects);
}
