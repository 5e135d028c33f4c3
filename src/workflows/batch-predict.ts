import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../contracts';
import type { BatchPredictInput, BatchPredictResult } from '../contracts/batch-prediction';

const { splitPredictionInput, predictChunk, joinPredictionOutput } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: ['InvalidInput', 'RegistryError'] },
});

const DEFAULT_WINDOW = 4;

/**
 * Scoring of a stored file: the input is split into stored chunks, one activity scores each chunk (at most
 * `window` at once) and writes its predictions back; the history holds only keys and counts.
 */
export async function batchPredictWorkflow(input: BatchPredictInput): Promise<BatchPredictResult> {
  const split = await splitPredictionInput(input);
  const outputRefs = split.chunkOutputRefs;
  const window = Math.max(1, input.window ?? DEFAULT_WINDOW);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < split.chunkRefs.length) {
      const i = next++;
      await predictChunk({
        modelName: split.modelName,
        version: split.version,
        chunkRef: split.chunkRefs[i],
        outputRef: outputRefs[i],
        ...(split.chunkIntervalRefs && input.interval !== undefined
          ? { interval: input.interval, intervalsOutputRef: split.chunkIntervalRefs[i] }
          : {}),
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, split.chunkRefs.length) }, lane));
  const outputRef = split.outputRef;
  const joined = await joinPredictionOutput({
    outputRefs,
    outputRef,
    ...(split.chunkIntervalRefs && split.intervalsRef
      ? { intervalRefs: split.chunkIntervalRefs, intervalsRef: split.intervalsRef }
      : {}),
  });
  return {
    modelName: split.modelName,
    version: split.version,
    engine: split.engine,
    rows: joined.rows,
    outputRef,
    ...(split.intervalsRef ? { intervalsRef: split.intervalsRef, intervalLevel: input.interval } : {}),
  };
}
