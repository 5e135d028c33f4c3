import { Context } from '@temporalio/activity';
import { predictionRowChunks } from '../data/prediction-input';
import { parsePredictionRows } from '../data/prediction-rows';
import type { TrialPool } from '../engines/trial-pool';
import type { ModelRegistry } from '../registry/model-registry';
import type { BlobStore } from '../storage/blob-store';
import type {
  BatchPredictInput,
  JoinPredictionOutputInput,
  PredictChunkInput,
  SplitPredictionInputResult,
} from '../contracts/batch-prediction';
import { nonRetryable } from './errors';
import { scoreWithVersion } from './score-version';
import { requestedIntervals } from './version-intervals';
import { assertIntervalLevel } from '../evaluation/prediction-interval';

export interface BatchPredictDeps {
  artifacts: BlobStore;
  registry: ModelRegistry;
  pool: TrialPool;
}

export const DEFAULT_CHUNK_ROWS = 50_000;

const predictionJobKeys = {
  chunk: (jobId: string, n: number) => `prediction-jobs/${jobId}/input-${String(n).padStart(5, '0')}.json`,
  chunkOutput: (jobId: string, n: number) =>
    `prediction-jobs/${jobId}/output-${String(n).padStart(5, '0')}.json`,
  output: (jobId: string) => `prediction-jobs/${jobId}/predictions.json`,
  chunkIntervals: (jobId: string, n: number) =>
    `prediction-jobs/${jobId}/intervals-${String(n).padStart(5, '0')}.json`,
  intervals: (jobId: string) => `prediction-jobs/${jobId}/intervals.json`,
};

/** Reads and validates the whole input once, pins the version, and stores the rows in chunks. */
export async function splitPredictionInputWith(
  deps: BatchPredictDeps,
  input: BatchPredictInput,
): Promise<SplitPredictionInputResult> {
  const chunkRows = input.chunkRows ?? DEFAULT_CHUNK_ROWS;
  let version;
  try {
    version = await deps.registry.resolve(input.modelName, input.version);
  } catch (err) {
    throw nonRetryable('RegistryError', (err as Error).message);
  }
  if (input.interval !== undefined) {
    try {
      assertIntervalLevel(input.interval);
    } catch (err) {
      throw nonRetryable('InvalidInput', (err as Error).message);
    }
    if (!version.intervalRef) {
      throw nonRetryable(
        'InvalidInput',
        `${version.modelName} v${version.version} has no prediction-interval calibration (registered before intervals existed): retrain it to get intervals`,
      );
    }
  }
  // Every row is checked before any chunk is scored (scoring starts once this activity has returned); CSV is
  // read a slice at a time, so only one chunk's rows are ever held as objects.
  const chunks = predictionRowChunks(await deps.artifacts.get(input.inputRef), input.inputRef, chunkRows);
  const chunkRefs: string[] = [];
  let rows = 0;
  for await (const chunk of checkedChunks(chunks)) {
    const key = predictionJobKeys.chunk(input.jobId, chunkRefs.length);
    await deps.artifacts.put(key, JSON.stringify(chunk));
    chunkRefs.push(key);
    rows += chunk.length;
    Context.current().heartbeat({ chunks: chunkRefs.length });
  }
  return {
    modelName: version.modelName,
    version: version.version,
    engine: version.engine,
    rows,
    chunkRefs,
    chunkOutputRefs: chunkRefs.map((_, n) => predictionJobKeys.chunkOutput(input.jobId, n)),
    outputRef: predictionJobKeys.output(input.jobId),
    ...(input.interval === undefined
      ? {}
      : {
          chunkIntervalRefs: chunkRefs.map((_, n) => predictionJobKeys.chunkIntervals(input.jobId, n)),
          intervalsRef: predictionJobKeys.intervals(input.jobId),
        }),
  };
}

/**
 * The input's chunks, each checked row by row; an unreadable or invalid row fails for good, since no retry can
 * mend the input. Errors of the caller's loop body (the store's) are not caught here: they stay retryable.
 */
async function* checkedChunks(
  chunks: AsyncIterable<Record<string, unknown>[]>,
): AsyncGenerator<Record<string, unknown>[]> {
  let rows = 0;
  try {
    for await (const chunk of chunks) {
      parsePredictionRows(chunk, rows);
      rows += chunk.length;
      yield chunk;
    }
  } catch (err) {
    throw nonRetryable('InvalidInput', (err as Error).message);
  }
}

/** Scores one stored chunk with the pinned version and stores its predictions (clamped at 0, rounded to 0.01). */
export async function predictChunkWith(
  deps: BatchPredictDeps,
  input: PredictChunkInput,
): Promise<{ rows: number }> {
  const rows = parsePredictionRows(JSON.parse((await deps.artifacts.get(input.chunkRef)).toString('utf8')));
  const version = await deps.registry.resolve(input.modelName, input.version);
  const raw = await scoreWithVersion(deps, version, rows);
  const predictions = Array.from(raw, (p) => (p > 0 ? Math.round(p * 100) / 100 : 0));
  if (input.interval !== undefined && input.intervalsOutputRef) {
    const intervals = await requestedIntervals(deps.artifacts, version, rows, raw, input.interval);
    await deps.artifacts.put(input.intervalsOutputRef, JSON.stringify(intervals));
  }
  await deps.artifacts.put(input.outputRef, JSON.stringify(predictions));
  return { rows: rows.length };
}

/** Concatenates the chunk outputs, in order, into one JSON array. */
export async function joinPredictionOutputWith(
  deps: BatchPredictDeps,
  input: JoinPredictionOutputInput,
): Promise<{ rows: number }> {
  const parts: string[] = [];
  let rows = 0;
  for (const ref of input.outputRefs) {
    const predictions = JSON.parse((await deps.artifacts.get(ref)).toString('utf8')) as number[];
    rows += predictions.length;
    if (predictions.length > 0) parts.push(JSON.stringify(predictions).slice(1, -1));
  }
  if (input.intervalRefs && input.intervalsRef) {
    const intervalParts: string[] = [];
    for (const ref of input.intervalRefs) {
      const text = (await deps.artifacts.get(ref)).toString('utf8').trim();
      if (text !== '[]') intervalParts.push(text.slice(1, -1));
    }
    await deps.artifacts.put(input.intervalsRef, `[${intervalParts.join(',')}]\n`);
  }
  await deps.artifacts.put(input.outputRef, `[${parts.join(',')}]\n`);
  return { rows };
}
