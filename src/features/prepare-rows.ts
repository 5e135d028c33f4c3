/**
 * The data preparation after parsing, as one pure function shared by the prepareDataset activity and the
 * benchmarks: de-duplicate, split by year, hold out the early-stopping slice, fit the feature pipeline on the
 * training rows, transform every part.
 */
import type { EarlyStoppingSlice } from '../contracts';
import type { DatasetSchema } from '../data/dataset-schema';
import { dedupeRows } from '../data/dedupe';
import { splitEarlyStopping } from './early-stopping-slice';
import {
  fitPipeline,
  transformWithPipeline,
  type AnyFeaturePipeline,
  type FeatureSet,
} from './feature-pipeline';
import { targetVector } from './features';
import type { DenseMatrix } from '../contracts/domain';
import { splitByYear } from '../data/split';
import type { TrafficRow } from '../contracts/domain';
import type { HolidayCalendar } from '../contracts/dataset';

/** Data that cannot be prepared (an empty split, no slice to hold out): no retry can fix it. */
export class PreparationError extends Error {
  override name = 'PreparationError';
}

/** The features asked for cannot be fitted (e.g. an unknown name to leave out): the caller's input is wrong. */
export class FeatureSelectionError extends Error {
  override name = 'FeatureSelectionError';
}

export interface PreparedPart {
  rows: TrafficRow[];
  x: DenseMatrix;
  y: Float32Array;
}

export interface PreparedRows {
  pipeline: AnyFeaturePipeline;
  duplicatesRemoved: number;
  train: PreparedPart;
  validation: PreparedPart;
  /** Absent when no slice is held out (`earlyStoppingSlice: false`). */
  earlyStopping?: PreparedPart & { slice: EarlyStoppingSlice };
  /** Impossible values replaced by missing, per raw column, over every part. */
  cleanedValues: Record<string, number>;
}

export function prepareRows(input: {
  rows: readonly TrafficRow[];
  validationYear: number;
  schema: DatasetSchema;
  features: FeatureSet;
  /** Hold out the early-stopping slice (default true). */
  earlyStoppingSlice?: boolean;
  /** Features left out of the fitted pipeline (ablation, v2 only). */
  omit?: readonly string[];
  /** Which days v2 treats as holidays (default `federal`). */
  holidays?: HolidayCalendar;
}): PreparedRows {
  const unique = dedupeRows(input.rows);
  const split = splitByYear({ rows: unique, validationYear: input.validationYear });
  if (split.train.length === 0 || split.validation.length === 0) {
    throw new PreparationError(
      `after validation the split is empty: ${split.train.length} training rows, ${split.validation.length} validation rows (${input.validationYear})`,
    );
  }
  let held: ReturnType<typeof splitEarlyStopping> | undefined;
  if (input.earlyStoppingSlice !== false) {
    try {
      held = splitEarlyStopping(split.train);
    } catch (err) {
      throw new PreparationError((err as Error).message);
    }
  }
  const trainRows = held?.train ?? split.train;
  let pipeline: AnyFeaturePipeline;
  try {
    pipeline = fitPipeline({
      features: input.features,
      rows: trainRows,
      schema: input.schema,
      ...(input.omit ? { omit: input.omit } : {}),
      ...(input.holidays ? { holidays: input.holidays } : {}),
    });
  } catch (err) {
    throw new FeatureSelectionError((err as Error).message);
  }
  const cleanedValues: Record<string, number> = {};
  const part = (rows: TrafficRow[]): PreparedPart => {
    const transformed = transformWithPipeline(pipeline, rows);
    for (const [column, n] of Object.entries(transformed.cleaned))
      cleanedValues[column] = (cleanedValues[column] ?? 0) + n;
    return { rows, x: transformed.matrix, y: targetVector(rows, input.schema) };
  };
  const train = part(trainRows);
  const earlyStopping = held ? { ...part(held.earlyStopping), slice: held.slice } : undefined;
  const validation = part(split.validation);
  return {
    pipeline,
    duplicatesRemoved: input.rows.length - unique.length,
    train,
    validation,
    ...(earlyStopping ? { earlyStopping } : {}),
    cleanedValues,
  };
}
