import { averagePredictions } from '../engines/ensemble-model';
import { resolveEngineName } from '../engines/select-engine';
import type { TrialPool } from '../engines/trial-pool';
import { recencyWeights } from '../features/recency-weights';
import { dateTimeFromYears, parseRowTimes } from '../features/row-times';
import { allRows, takeRows, takeValues } from '../features/stack-rows';
import type { CalibrationRows } from '../evaluation/prediction-interval';
import type { EngineChoice, TrialResult } from '../contracts';
import type { BlobStore } from '../storage/blob-store';
import { artifactKeys } from './artifact-keys';
import type { DatasetCache } from './dataset-cache';
import { concatNumbers } from '../common/concat-numbers';

export interface OneYearAheadDeps {
  artifacts: BlobStore;
  datasets: DatasetCache;
  pool: TrialPool;
}

/** Residual rows of the earlier one-year-ahead models, for calibrateIntervals. */
export interface OneYearAheadResiduals {
  /** The predicted years, oldest first (none when the training rows span one year). */
  years: number[];
  /**
   * Each row's date-time (from the stored row times) with no holiday name: the group comes from the calendar.
   * Built when read: there are millions of them at 100× the data.
   */
  rows: CalibrationRows;
  labels: Float32Array;
  predictions: Float32Array;
}

/**
 * Which rows train and which are predicted for each one-year-ahead year, as indices into the prepared set's
 * stacked rows (allRows: training, early-stopping, validation — shared with the refits, so no second copy);
 * only the training and early-stopping rows take part.
 */
export interface OneYearAheadSplits {
  rows: ReturnType<typeof allRows>;
  /** Each training and early-stopping row's date-time in years (for recency weights and the residual rows). */
  times: number[];
  /** Oldest first: every training year after the first. */
  years: { year: number; before: number[]; inYear: number[] }[];
}

/** The one-year-ahead splits of a prepared set; undefined for one without stored row times (from before recency weights). */
export async function oneYearAheadSplits(
  deps: OneYearAheadDeps,
  input: { datasetHash: string; datasetRef: string },
): Promise<OneYearAheadSplits | undefined> {
  const timesKey = artifactKeys.datasetRowTimes(input.datasetHash);
  if (!(await deps.artifacts.head(timesKey))) return undefined;
  const dataset = await deps.datasets.get(input.datasetHash, input.datasetRef);
  const stored = parseRowTimes(JSON.parse((await deps.artifacts.get(timesKey)).toString('utf8')));
  const times = [...stored.train, ...stored.earlyStopping];
  const trainingRows = dataset.train.rows + (dataset.earlyStopping?.rows ?? 0);
  if (times.length !== trainingRows) {
    throw new Error(
      `row times of data set ${input.datasetHash} list ${times.length} training rows, the set has ${trainingRows}`,
    );
  }
  const yearOf = times.map((t) => dateTimeFromYears(t).year);
  const years = [...new Set(yearOf)]
    .sort((a, b) => a - b)
    .slice(1)
    .map((year) => {
      const before: number[] = [];
      const inYear: number[] = [];
      yearOf.forEach((y, i) => {
        if (y < year) before.push(i);
        else if (y === year) inYear.push(i);
      });
      return { year, before, inYear };
    });
  return { rows: allRows(dataset), times, years };
}

/**
 * The trials' predictions of one split year Z: each trial's parameters with its selected rounds trained on
 * every training row before Z, predicting Z's rows (which it never saw). The year's matrices are built once,
 * shared by the trials (which train at once over the pool's threads).
 */
async function predictYearAhead(
  deps: OneYearAheadDeps,
  input: { engine: EngineChoice; recencyHalfLife?: number },
  splits: OneYearAheadSplits,
  { year, before, inYear }: OneYearAheadSplits['years'][number],
  trials: readonly Pick<TrialResult, 'trialId' | 'params' | 'rounds'>[],
  signal?: AbortSignal,
): Promise<Float32Array[]> {
  const { rows, times } = splits;
  const trainX = takeRows(rows.x, before);
  const trainLabels = takeValues(rows.y, before);
  const testX = takeRows(rows.x, inYear);
  const testLabels = takeValues(rows.y, inYear);
  const trainWeights =
    input.recencyHalfLife === undefined
      ? undefined
      : recencyWeights(
          before.map((i) => times[i]),
          input.recencyHalfLife,
        );
  return Promise.all(
    trials.map(async (trial) => {
      const outcome = await deps.pool.runTrial(
        {
          engine: resolveEngineName(input.engine),
          params: { ...trial.params, n_estimators: trial.rounds },
          earlyStoppingRounds: 0,
          data: {
            train: trainX,
            trainLabels,
            ...(trainWeights ? { trainWeights } : {}),
            validation: testX,
            validationLabels: testLabels,
          },
          returnPredictions: true,
          // Only its predictions are used: no model is saved and sent back.
          saveModelIfRmseAtMost: Number.NEGATIVE_INFINITY,
        },
        signal ? { signal } : {},
      );
      if (outcome.predictions?.length !== testX.rows)
        throw new Error(
          `one-year-ahead model of ${trial.trialId} for ${year}: no predictions of its ${testX.rows} rows`,
        );
      return outcome.predictions;
    }),
  );
}

/** One trial's one-year-ahead predictions of every split year, concatenated in the splits' order. */
export async function memberOneYearAhead(
  deps: OneYearAheadDeps,
  input: { engine: EngineChoice; recencyHalfLife?: number },
  splits: OneYearAheadSplits,
  trial: Pick<TrialResult, 'trialId' | 'params' | 'rounds'>,
  options: { signal?: AbortSignal; onYear?: (year: number) => void } = {},
): Promise<Float32Array> {
  const years: Float32Array[] = [];
  for (const split of splits.years) {
    options.onYear?.(split.year);
    years.push((await predictYearAhead(deps, input, splits, split, [trial], options.signal))[0]);
  }
  return concatNumbers(Float32Array, years);
}

/** The residual rows of the members' mean one-year-ahead predictions (each as memberOneYearAhead gives it). */
export function oneYearAheadOfMembers(
  splits: OneYearAheadSplits,
  members: readonly Float32Array[],
): OneYearAheadResiduals {
  const mean = averagePredictions(members);
  const order = Int32Array.from(splits.years.flatMap(({ inYear }) => inYear));
  if (mean.length !== order.length)
    throw new Error(`one-year-ahead predictions of ${mean.length} rows for ${order.length} split rows`);
  const { times } = splits;
  return {
    years: splits.years.map((s) => s.year),
    rows: {
      length: order.length,
      at: (i) =>
        i >= 0 && i < order.length
          ? { date_time: dateTimeFromYears(times[order[i]]), holiday: 'None' }
          : undefined,
    },
    labels: Float32Array.from(order, (r) => splits.rows.y[r]),
    predictions: mean,
  };
}

/**
 * One-year-ahead residuals from the years before the validation year: for each training year Z after the
 * first (the early-stopping slice counts as training), the selected trials' parameters with their selected
 * rounds are trained on every training row before Z and predict Z's rows, which they never saw — the same
 * kind of error the registered model makes on the year after its validation year, at other years' error
 * levels. Their mean is the ensemble's prediction. A prepared set without stored row times (from before
 * recency weights) gives none. Here, one year after another in this process (runs from before the members'
 * oneYearAheadMember activities).
 */
export async function oneYearAheadResiduals(
  deps: OneYearAheadDeps,
  input: { datasetHash: string; datasetRef: string; engine: EngineChoice; recencyHalfLife?: number },
  trials: readonly Pick<TrialResult, 'trialId' | 'params' | 'rounds'>[],
  onYear?: (year: number) => void,
): Promise<OneYearAheadResiduals> {
  const splits = await oneYearAheadSplits(deps, input);
  if (!splits) return NO_ONE_YEAR_AHEAD;
  const members = trials.map(() => [] as Float32Array[]);
  for (const split of splits.years) {
    onYear?.(split.year);
    (await predictYearAhead(deps, input, splits, split, trials)).forEach((p, i) => members[i].push(p));
  }
  return oneYearAheadOfMembers(
    splits,
    members.map((years) => concatNumbers(Float32Array, years)),
  );
}

/** No one-year-ahead rows: the calibration uses the validation year alone. */
export const NO_ONE_YEAR_AHEAD: OneYearAheadResiduals = {
  years: [],
  rows: [],
  labels: new Float32Array(0),
  predictions: new Float32Array(0),
};
