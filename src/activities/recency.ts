import { recencyWeights } from '../features/recency-weights';
import { parseRowTimes, type RowTimes } from '../features/row-times';
import type { BlobStore } from '../storage/blob-store';
import { artifactKeys } from './artifact-keys';
import { nonRetryable } from './errors';

const cached = new Map<string, Promise<RowTimes>>();
const CACHE_SIZE = 3;

function rowTimes(artifacts: BlobStore, datasetHash: string): Promise<RowTimes> {
  let times = cached.get(datasetHash);
  if (!times) {
    times = artifacts
      .get(artifactKeys.datasetRowTimes(datasetHash))
      .then((bytes) => parseRowTimes(JSON.parse(bytes.toString('utf8'))));
    times.catch(() => cached.delete(datasetHash));
    cached.set(datasetHash, times);
    while (cached.size > CACHE_SIZE) cached.delete(cached.keys().next().value as string);
  }
  return times;
}

/**
 * Recency weights for a prepared set's rows (undefined when the run has no half-life): `train` for a trial (the rows it fits), `all` for a refit
 * (training, early-stopping and validation rows, in that order, as the refit stacks them).
 */
export async function recencyWeightsFor(
  artifacts: BlobStore,
  run: { datasetHash: string; recencyHalfLife?: number },
  rows: 'train' | 'all',
  expectedRows: number,
): Promise<Float32Array | undefined> {
  if (run.recencyHalfLife === undefined) return undefined;
  const input = {
    artifacts,
    datasetHash: run.datasetHash,
    halfLifeYears: run.recencyHalfLife,
    rows,
    expectedRows,
  };
  const times = await rowTimes(input.artifacts, input.datasetHash);
  const picked =
    input.rows === 'train' ? times.train : [...times.train, ...times.earlyStopping, ...times.validation];
  if (picked.length !== input.expectedRows) {
    throw nonRetryable(
      'DatasetError',
      `row times of data set ${input.datasetHash} list ${picked.length} rows, the set has ${input.expectedRows}`,
    );
  }
  try {
    return recencyWeights(picked, input.halfLifeYears);
  } catch (err) {
    throw nonRetryable('InvalidInput', (err as Error).message);
  }
}
