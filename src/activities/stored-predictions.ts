import type { BlobStore } from '../storage/blob-store';
import { storeContentAddressed } from './store-model';

/** Stores predictions as float32 (the platform's byte order, little-endian on every supported host), by content. */
export function storePredictions(
  artifacts: BlobStore,
  predictions: Float32Array,
  keyOf: (sha256: string) => string,
): Promise<string> {
  return storeContentAddressed(
    artifacts,
    new Uint8Array(predictions.buffer, predictions.byteOffset, predictions.byteLength),
    keyOf,
  );
}

/** Loads predictions stored by storePredictions; throws when there are not `rows` of them. */
export async function loadPredictions(
  artifacts: BlobStore,
  ref: string,
  rows: number,
): Promise<Float32Array> {
  const bytes = await artifacts.get(ref);
  const copy = new Uint8Array(bytes); // aligned for the float view
  const values = new Float32Array(copy.buffer, 0, copy.byteLength / 4);
  if (values.length !== rows)
    throw new Error(`predictions ${ref}: ${values.length} values, expected ${rows}`);
  return values;
}
