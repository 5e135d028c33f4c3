/**
 * What the champion's training rows looked like on the two columns the feature profile does not hold: the
 * target, and the champion's own predictions on those rows (the baseline of prediction drift). Stored once per
 * version as quantile sketches (distances.ts), so a daily record never re-scores the training data.
 */
import type { DailyBaseline } from './column-scores';
import { quantileSketch } from './distances';

export const TRAINING_REFERENCE_VERSION = 1;
/** Sketch resolution: 101 quantiles (every percentile). */
export const SKETCH_STEPS = 100;

export interface TrainingReference {
  kind: 'traffic-training-reference';
  version: number;
  modelName: string;
  modelVersion: number;
  datasetHash: string;
  /** Training rows behind both sketches. */
  rows: number;
  target: number[];
  predictions: number[];
  /** Each input column's range of daily scores over the training days; absent when the files were not readable. */
  dailyBaseline?: DailyBaseline[];
}

export function buildTrainingReference(input: {
  modelName: string;
  modelVersion: number;
  datasetHash: string;
  target: ArrayLike<number>;
  predictions: ArrayLike<number>;
  dailyBaseline?: DailyBaseline[];
}): TrainingReference {
  if (input.target.length === 0) throw new Error('cannot build a training reference from zero rows');
  if (input.target.length !== input.predictions.length) {
    throw new Error(
      `training reference: ${input.target.length} targets but ${input.predictions.length} predictions`,
    );
  }
  return {
    kind: 'traffic-training-reference',
    version: TRAINING_REFERENCE_VERSION,
    modelName: input.modelName,
    modelVersion: input.modelVersion,
    datasetHash: input.datasetHash,
    rows: input.target.length,
    target: quantileSketch(input.target, SKETCH_STEPS),
    predictions: quantileSketch(input.predictions, SKETCH_STEPS),
    ...(input.dailyBaseline ? { dailyBaseline: input.dailyBaseline } : {}),
  };
}

export function validateTrainingReference(json: unknown): TrainingReference {
  const r = json as Partial<TrainingReference> | null;
  const sketch = (s: unknown) =>
    Array.isArray(s) && s.length === SKETCH_STEPS + 1 && s.every(Number.isFinite);
  if (
    !r ||
    r.kind !== 'traffic-training-reference' ||
    r.version !== TRAINING_REFERENCE_VERSION ||
    typeof r.modelVersion !== 'number' ||
    typeof r.rows !== 'number' ||
    !sketch(r.target) ||
    !sketch(r.predictions)
  ) {
    throw new Error('invalid training reference: expected kind, version 1, rows and two 101-point sketches');
  }
  return r as TrainingReference;
}
