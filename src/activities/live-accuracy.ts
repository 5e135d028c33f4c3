import { Context } from '@temporalio/activity';
import type { WorkerMetrics } from '../metrics/worker-metrics';
import { liveAccuracy } from '../monitoring/live-accuracy';
import { writeLiveAccuracy } from '../monitoring/live-accuracy-store';
import { readServedPredictions } from '../monitoring/prediction-log-reader';
import type { BlobStore } from '../storage/blob-store';
import { readDataFiles } from './read-data-files';
import type { LiveAccuracySummary, MeasureLiveAccuracyInput } from '../contracts';

export interface LiveAccuracyDeps {
  artifacts: BlobStore;
  openDataStore(uri: string): BlobStore;
  metrics?: WorkerMetrics;
}

/**
 * Joins every prediction the service logged for the model with the labelled rows of the newly arrived files
 * and records, per served version, the accuracy of what was served: in the artifact store (read by
 * `models show`), in the worker's metrics and in the returned summary.
 */
export async function measureLiveAccuracyWith(
  deps: LiveAccuracyDeps,
  input: MeasureLiveAccuracyInput,
): Promise<LiveAccuracySummary> {
  const store = deps.openDataStore(input.dataUri);
  const files = input.objects ?? input.keys;
  const { rows, unreadable } = await readDataFiles({ artifacts: deps.artifacts, store }, files, input.schema);
  const labelled = rows.filter((r) => r.traffic_volume !== undefined);
  Context.current().heartbeat({ step: 'reading prediction log' });
  const log = await readServedPredictions(deps.artifacts, input.modelName);
  const accuracy = liveAccuracy(log.served, labelled);
  const measuredAt = new Date().toISOString();
  for (const v of accuracy.byVersion) {
    await writeLiveAccuracy(deps.artifacts, {
      ...v,
      modelName: input.modelName,
      checkId: input.checkId,
      measuredAt,
      dataKeys: input.keys,
    });
    deps.metrics?.liveAccuracy(input.modelName, v);
  }
  return {
    ...accuracy,
    labelledRows: labelled.length,
    unreadable,
    logFiles: log.files,
    badLogLines: log.badLineCount,
  };
}
