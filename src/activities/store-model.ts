import { createHash } from 'node:crypto';
import type { BlobStore } from '../storage/blob-store';
import { artifactKeys } from './artifact-keys';

/** Models are content-addressed (`models/<sha256>.<kind>.json`): storing one twice writes nothing. */
export async function storeModel(artifacts: BlobStore, model: Uint8Array, kind: string): Promise<string> {
  const bytes = Buffer.from(model);
  const ref = artifactKeys.model(createHash('sha256').update(bytes).digest('hex'), kind);
  if (!(await artifacts.head(ref))) await artifacts.put(ref, bytes);
  return ref;
}
