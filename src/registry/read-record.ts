import { z } from 'zod';
import type { BlobStore } from '../storage/blob-store';

/** A registry file that is not valid JSON or does not match its schema. */
export class CorruptRegistryRecordError extends Error {
  constructor(
    readonly uri: string,
    readonly key: string,
    detail: string,
  ) {
    super(`corrupted registry record ${key} in ${uri}: ${detail}`);
    this.name = 'CorruptRegistryRecordError';
  }
}

/** Reads and validates one JSON record; undefined when the key does not exist. */
export async function readRecord<T>(
  store: BlobStore,
  key: string,
  schema: z.ZodType<T>,
): Promise<T | undefined> {
  const body = await store.tryGet(key);
  if (body === undefined) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new CorruptRegistryRecordError(store.uri, key, `not JSON (${(err as Error).message})`);
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new CorruptRegistryRecordError(store.uri, key, z.prettifyError(parsed.error));
  return parsed.data;
}

export function encodeRecord(record: unknown): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}
