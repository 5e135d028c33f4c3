import type { VersionLiveAccuracy } from '../contracts';
import type { BlobStore } from '../storage/blob-store';

/** One version's live accuracy as last measured by a retraining check. */
export interface LiveAccuracyRecord extends VersionLiveAccuracy {
  modelName: string;
  /** The check that measured it, when, and on which newly arrived data files. */
  checkId: string;
  measuredAt: string;
  dataKeys: string[];
}

/** `monitoring/<model>/live-accuracy/<version>.json`: the latest measurement of each served version. */
export function liveAccuracyKey(modelName: string, version: number): string {
  return `monitoring/${modelName}/live-accuracy/${String(version).padStart(10, '0')}.json`;
}

export async function writeLiveAccuracy(store: BlobStore, record: LiveAccuracyRecord): Promise<void> {
  await store.put(liveAccuracyKey(record.modelName, record.version), JSON.stringify(record, null, 2));
}

/** The latest live accuracy of a version, undefined when no check has measured it yet. */
export async function readLiveAccuracy(
  store: BlobStore,
  modelName: string,
  version: number,
): Promise<LiveAccuracyRecord | undefined> {
  const raw = await store.tryGet(liveAccuracyKey(modelName, version));
  return raw ? (JSON.parse(raw.toString('utf8')) as LiveAccuracyRecord) : undefined;
}
