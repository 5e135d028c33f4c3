import type { IntervalQuality } from './comparison';
import type { SchemaInput } from './dataset';
import type { EngineName, RegressionMetrics } from './domain';

export interface PredictInput {
  modelName: string;
  /** A version number or an alias such as `champion`. */
  version: string;
  /** Prediction rows with the seed's fields; numbers may be strings. */
  rows: Record<string, unknown>[];
  /** Also return central prediction intervals at this level (e.g. 0.9). */
  interval?: number;
}

export interface PredictResult {
  modelName: string;
  version: number;
  engine: EngineName;
  predictions: number[];
  /** With PredictInput.interval: one [low, high] per prediction, clamped at 0. */
  intervals?: [number, number][];
  intervalLevel?: number;
}

export interface ScoreYearInput {
  dataUri: string;
  filePrefix: string;
  year: number;
  modelName: string;
  /** A version number or an alias such as `champion`. */
  version: number | string;
  schema: SchemaInput;
  /** Also measure the version's prediction intervals at this level (coverage, mean width). */
  interval?: number;
}

export interface ScoreYearResult {
  year: number;
  modelName: string;
  version: number;
  rows: number;
  metrics: RegressionMetrics;
  interval?: IntervalQuality;
}
