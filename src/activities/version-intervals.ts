import { averagePredictions } from '../engines/ensemble-model';
import { transformWithPipeline, validateAnyFeaturePipeline } from '../features/feature-pipeline';
import {
  assertIntervalLevel,
  calibrateIntervals,
  concatCalibrationRows,
  parseIntervalCalibration,
  predictionIntervals,
  roundInterval,
  type Interval,
  type IntervalCalibration,
} from '../evaluation/prediction-interval';
import type { TrafficRow } from '../contracts/domain';
import type { ModelVersion } from '../registry/model-registry';
import type { BlobStore } from '../storage/blob-store';
import { artifactKeys } from './artifact-keys';
import { loadValidationRows } from './validation-rows';
import { nonRetryable } from './errors';
import type { OneYearAheadResiduals } from './one-year-ahead';
import { predictMatrix, type ScoreDeps, type StoredModel } from './score-version';
import { storeContentAddressed } from './store-model';
import { concatNumbers } from '../common/concat-numbers';

/**
 * Calibrates prediction intervals on a prepared set's validation year with the mean prediction of
 * `models`, which must never have been fitted on that year: for a refitted model these are the selected
 * trials' own (pre-refit) models, whose one-year-ahead errors stand in for the refit's on the next year.
 * With `earlier` (method `one-year-ahead`), the residuals of one-year-ahead models on earlier years join
 * them, and the residuals are kept signed. Stores the calibration and returns its key.
 */
export async function calibrateOnValidationYear(
  deps: ScoreDeps,
  input: {
    datasetHash: string;
    validationYear: number;
    models: StoredModel[];
    /** The models' mean prediction of the prepared validation rows, when the caller has it already. */
    predictions?: Float32Array;
    modelLabel: string;
    earlier?: OneYearAheadResiduals;
    /** With `earlier`: each end from the widest year instead of the pooled residuals (method 'worst-year'). */
    combineYears?: 'worst-year';
  },
): Promise<string> {
  const rows = await loadValidationRows(deps.artifacts, input.datasetHash);
  let mean = input.predictions;
  if (mean === undefined) {
    const pipeline = validateAnyFeaturePipeline(
      JSON.parse(
        (await deps.artifacts.get(artifactKeys.datasetPipeline(input.datasetHash))).toString('utf8'),
      ),
    );
    const x = transformWithPipeline(pipeline, rows).matrix;
    // All at once over the pool's threads; averaged in model order, so the result does not depend on it.
    mean = averagePredictions(await Promise.all(input.models.map((model) => predictMatrix(deps, model, x))));
  } else if (mean.length !== rows.length) {
    throw new Error(`${mean.length} validation predictions for ${rows.length} validation rows`);
  }
  const earlier = input.earlier;
  const labels = Float64Array.from(rows, (r) => r.traffic_volume as number);
  const years = earlier && earlier.years.length > 0 ? earlier.years.join(', ') : undefined;
  const calibration = calibrateIntervals({
    rows: earlier ? concatCalibrationRows(rows, earlier.rows) : rows,
    labels: earlier ? concatNumbers(Float64Array, [labels, earlier.labels]) : labels,
    predictions: earlier ? concatNumbers(Float64Array, [mean, earlier.predictions]) : mean,
    source: {
      rows: `validation year ${input.validationYear}${years ? `; one year ahead: ${years}` : ''}`,
      model: `${input.modelLabel}${years ? `; for ${years} the same parameters and rounds trained on the years before` : ''}`,
    },
    ...(earlier ? { residualKind: 'signed' as const, groupBy: 'daypart-working-day' as const } : {}),
    ...(earlier && input.combineYears ? { combineYears: input.combineYears } : {}),
  });
  return storeContentAddressed(
    deps.artifacts,
    Buffer.from(JSON.stringify(calibration)),
    artifactKeys.intervalCalibration,
  );
}

export async function loadIntervalCalibration(
  artifacts: BlobStore,
  ref: string,
): Promise<IntervalCalibration> {
  return parseIntervalCalibration(JSON.parse((await artifacts.get(ref)).toString('utf8')));
}

/** Raised for a version registered before intervals existed: it has no calibration to give them. */
export class IntervalsUnavailableError extends Error {
  override readonly name = 'IntervalsUnavailableError';
}

/**
 * Central intervals at `level` for rows a version predicted, from the calibration stored with it,
 * rounded to 0.01 like the predictions.
 */
export async function intervalsForVersion(
  artifacts: BlobStore,
  version: Pick<ModelVersion, 'modelName' | 'version' | 'intervalRef'>,
  rows: readonly TrafficRow[],
  predictions: ArrayLike<number>,
  level: number,
): Promise<Interval[]> {
  assertIntervalLevel(level);
  if (!version.intervalRef) {
    throw new IntervalsUnavailableError(
      `${version.modelName} v${version.version} has no prediction-interval calibration (registered before intervals existed): retrain it to get intervals`,
    );
  }
  const calibration = await loadIntervalCalibration(artifacts, version.intervalRef);
  return predictionIntervals(calibration, rows, predictions, level).map(roundInterval);
}

/**
 * Intervals a caller asked for (`--interval`, `?interval=`, a batch job): a version without a calibration or a
 * level outside (0, 1) is the caller's error, which no retry can fix.
 */
export async function requestedIntervals(
  ...args: Parameters<typeof intervalsForVersion>
): Promise<Interval[]> {
  try {
    return await intervalsForVersion(...args);
  } catch (err) {
    if (err instanceof IntervalsUnavailableError || err instanceof RangeError) {
      throw nonRetryable('InvalidInput', err.message);
    }
    throw err;
  }
}
