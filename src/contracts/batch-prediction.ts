import type { EngineName } from './domain';

/** A prediction job whose input and output live in the artifact store: only keys travel through history. */
export interface BatchPredictInput {
  modelName: string;
  /** A version number or an alias such as `champion`; resolved once, so every chunk uses the same version. */
  version: string;
  /** Artifact-store key of the input: a JSON array, the seed's `{"inputs": [...]}`, or a CSV with a header. */
  inputRef: string;
  /** Names the job's keys: `prediction-jobs/<jobId>/`. */
  jobId: string;
  /** Rows per chunk activity (default 50,000). */
  chunkRows?: number;
  /** Chunk activities running at once (default 4). */
  window?: number;
  /** Also store central prediction intervals at this level (e.g. 0.9), beside the predictions. */
  interval?: number;
}

export interface SplitPredictionInputResult {
  modelName: string;
  version: number;
  engine: EngineName;
  rows: number;
  chunkRefs: string[];
  /** Where each chunk's predictions go, index for index, and where the joined output goes. */
  chunkOutputRefs: string[];
  outputRef: string;
  /** With BatchPredictInput.interval: where each chunk's intervals go, and the joined intervals. */
  chunkIntervalRefs?: string[];
  intervalsRef?: string;
}

export interface PredictChunkInput {
  modelName: string;
  version: number;
  chunkRef: string;
  outputRef: string;
  /** Level and key of this chunk's intervals, when asked for. */
  interval?: number;
  intervalsOutputRef?: string;
}

export interface JoinPredictionOutputInput {
  outputRefs: string[];
  outputRef: string;
  /** Chunk intervals to join into `intervalsRef`, in the same order. */
  intervalRefs?: string[];
  intervalsRef?: string;
}

export interface BatchPredictResult {
  modelName: string;
  version: number;
  engine: EngineName;
  rows: number;
  /** Artifact-store key of the predictions: a JSON array in input order. */
  outputRef: string;
  /** With BatchPredictInput.interval: key of a JSON array of [low, high], one per prediction. */
  intervalsRef?: string;
  intervalLevel?: number;
}
