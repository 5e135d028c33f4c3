/**
 * The data a model was last trained on: object key → etag and size, committed to the artifact store after a
 * successful training. Pure (no Node imports): the retraining workflow imports this file.
 */

export interface ObjectVersion {
  etag: string;
  size: number;
}

export interface DataState {
  dataUri: string;
  objects: Record<string, ObjectVersion>;
  committedAt?: string;
  trainingWorkflowId?: string;
  /** Prepared-set hash of the training this state records. */
  datasetHash?: string;
  /** Position in the state's create-only sequence (keyed states only). */
  seq?: number;
  modelName?: string;
  filePrefix?: string;
}

export interface DataDiff {
  added: string[];
  changed: string[];
  removed: string[];
  unchanged: string[];
}

/** The listing shape (`SourceObject[]`) as a key → version map. */
export function objectsFromList(
  list: readonly { key: string; etag: string; size: number }[],
): Record<string, ObjectVersion> {
  const objects: Record<string, ObjectVersion> = {};
  for (const o of list) objects[o.key] = { etag: o.etag, size: o.size };
  return objects;
}

function sameVersion(a: ObjectVersion, b: ObjectVersion): boolean {
  return a.etag === b.etag && a.size === b.size;
}

/** Every list is sorted; without a previous state everything is `added`. */
export function diffDataState(
  previous: DataState | undefined,
  current: Record<string, ObjectVersion>,
): DataDiff {
  const before = previous?.objects ?? {};
  const diff: DataDiff = { added: [], changed: [], removed: [], unchanged: [] };
  for (const key of Object.keys(current).sort()) {
    const old = Object.prototype.hasOwnProperty.call(before, key) ? before[key] : undefined;
    if (!old) diff.added.push(key);
    else if (sameVersion(old, current[key])) diff.unchanged.push(key);
    else diff.changed.push(key);
  }
  for (const key of Object.keys(before).sort()) {
    if (!Object.prototype.hasOwnProperty.call(current, key)) diff.removed.push(key);
  }
  return diff;
}

/** cyrb53 (public domain, bryc): a fast 53-bit string hash, deterministic in any JS runtime (workflows too). */
export function cyrb53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * A short, stable identity of a set of object versions (14 hex digits), independent of key order. Not
 * cryptographic: it names a data state in ids and logs, it does not guard against tampering.
 */
export function stateFingerprint(objects: Record<string, ObjectVersion>): string {
  const canonical = Object.keys(objects)
    .sort()
    .map((k) => `${k}=${objects[k].etag}:${objects[k].size}`)
    .join('\n');
  return cyrb53(canonical).toString(16).padStart(14, '0');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The year of `{prefix}_{year}.csv` (optionally under a folder), or undefined for any other key. */
export function yearOfKey(key: string, prefix: string): number | undefined {
  const m = new RegExp(`(?:^|/)${escapeRegExp(prefix)}_(\\d{4})\\.csv$`).exec(key);
  return m ? Number(m[1]) : undefined;
}
