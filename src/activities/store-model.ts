import { createHash } from 'node:crypto';
import type { BlobStore } from '../storage/blob-store';
import { artifactKeys } from './artifact-keys';

/** Stores bytes under a key named by their SHA-256: storing them twice (or on a retry) writes nothing. */
export async function storeContentAddressed(
  artifacts: BlobStore,
  content: Uint8Array,
  keyOf: (sha256: string) => string,
): Promise<string> {
  const bytes = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  const ref = keyOf(createHash('sha256').update(bytes).digest('hex'));
  if (!(await artifacts.head(ref))) await artifacts.put(ref, bytes);
  return ref;
}

/** Models are content-addressed (`models/<sha256>.<kind>.json`). */
export function storeModel(artifacts: BlobStore, model: Uint8Array, kind: string): Promise<string> {
  return storeContentAddressed(artifacts, model, (sha256) => artifactKeys.model(sha256, kind));
}
