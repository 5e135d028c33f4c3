import type { TrafficRow } from '../contracts/domain';
import type { BlobStore } from '../storage/blob-store';
import { artifactKeys } from './artifact-keys';

/**
 * A prepared set's validation rows as prepareDataset split them (`datasets/<hash>/validation-rows.json`), in the
 * order of its validation matrix and of every prediction made on it.
 */
export async function loadValidationRows(artifacts: BlobStore, datasetHash: string): Promise<TrafficRow[]> {
  const stored = await artifacts.get(artifactKeys.datasetValidationRows(datasetHash));
  return JSON.parse(stored.toString('utf8')) as TrafficRow[];
}
