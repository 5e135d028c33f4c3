import { decodePreparedDataset, type PreparedDataset } from '../features/prepared-dataset';
import type { WorkerMetrics } from '../metrics/worker-metrics';
import type { BlobStore } from '../storage/blob-store';

/**
 * Prepared data sets loaded by this worker process, keyed by content hash. The arrays live in
 * SharedArrayBuffers so every training thread reads the same memory. Small LRU: a worker rarely
 * serves more than one or two searches at a time.
 */
export class DatasetCache {
  private readonly entries = new Map<string, Promise<PreparedDataset>>();

  private readonly capacity: number;
  private readonly metrics?: WorkerMetrics;

  constructor(
    private readonly artifacts: BlobStore,
    options: { capacity?: number; metrics?: WorkerMetrics } = {},
  ) {
    this.capacity = options.capacity ?? 3;
    this.metrics = options.metrics;
  }

  get(hash: string, ref: string): Promise<PreparedDataset> {
    const hit = this.entries.get(hash);
    this.metrics?.datasetCacheLookup(hit ? 'hit' : 'miss');
    if (hit) {
      this.entries.delete(hash);
      this.entries.set(hash, hit);
      return hit;
    }
    const loading = this.artifacts.get(ref).then((buf) => decodePreparedDataset(buf, { shared: true }));
    loading.catch(() => this.entries.delete(hash));
    this.entries.set(hash, loading);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return loading;
  }
}
