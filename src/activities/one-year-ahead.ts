import { averagePredictions } from '../engines/ensemble-model';
import { resolveEngineName } from '../engines/select-engine';
import type { TrialPool } from '../engines/trial-pool';
import { recencyWeights } from '../features/recency-weights';
import { dateTimeFromYears, parseRowTimes } from '../features/row-times';
import { stackRows, takeRows } from '../features/stack-rows';
import type { TrafficRow } from '../contracts/domain';
import type { EngineChoice, TrialResult } from '../contracts';
import type { BlobStore } from '../storage/blob-store';
import { artifactKeys } from './artifact-keys';
import type { DatasetCache } from './dataset-cache';

export interface OneYearAheadDeps {
  artifacts: BlobStore;
  datasets: DatasetCache;
  pool: TrialPool;
}

/** Residual rows of the earlier one-year-ahead models, for calibrateIntervals. */
export interface OneYearAheadResiduals {
  /** The predicted years, oldest first (none when the training rows span one year). */
  years: number[];
  /** Each row's date-time (from the stored row times) with no holiday name: the group comes from the calendar. */
  rows: Pick<TrafficRow, 'date_time' | 'holiday'>[];
  labels: Float32Array;
  predictions: Float32Array;
}

/**
 * One-year-ahead residuals from the years before the validation year: for each training year Z after the
 * first (the early-stopping slice counts as training), the selected trials' parameters with their selected
 * rounds are trained on every training row before Z and predict Z's rows, which they never saw — the same
 * kind of error the registered model makes on the year after its validation year, at other years' error
 * levels. Their mean is the ensemble's prediction. A prepared set without stored row times (from before
 * recency weights) gives none.
 */
export async function oneYearAheadResiduals(
  deps: OneYearAheadDeps,
  input: { datasetHash: string; datasetRef: string; engine: EngineChoice; recencyHalfLife?: number },
  trials: readonly Pick<TrialResult, 'trialId' | 'params' | 'rounds'>[],
  onYear?: (year: number) => void,
): Promise<OneYearAheadResiduals> {
  const none: OneYearAheadResiduals = {
    years: [],
    rows: [],
    labels: new Float32Array(0),
    predictions: new Float32Array(0),
  };
  const timesKey = artifactKeys.datasetRowTimes(input.datasetHash);
  if (!(await deps.artifacts.head(timesKey))) return none;
  const times = parseRowTimes(JSON.parse((await deps.artifacts.get(timesKey)).toString('utf8')));
  const dataset = await deps.datasets.get(input.datasetHash, input.datasetRef);
  const parts = [{ x: dataset.train, y: dataset.trainLabels }];
  if (dataset.earlyStopping && dataset.earlyStoppingLabels)
    parts.push({ x: dataset.earlyStopping, y: dataset.earlyStoppingLabels });
  const training = stackRows(parts);
  const t = [...times.train, ...times.earlyStopping];
  if (t.length !== training.x.rows) {
    throw new Error(
      `row times of data set ${input.datasetHash} list ${t.length} training rows, the set has ${training.x.rows}`,
    );
  }
  const dates = t.map(dateTimeFromYears);
  const years = [...new Set(dates.map((d) => d.year))].sort((a, b) => a - b).slice(1);
  const rows: OneYearAheadResiduals['rows'] = [];
  const labels: number[] = [];
  const predictions: number[] = [];
  const predicted: number[] = [];
  for (const year of years) {
    onYear?.(year);
    const before: number[] = [];
    const inYear: number[] = [];
    dates.forEach((d, i) => {
      if (d.year < year) before.push(i);
      else if (d.year === year) inYear.push(i);
    });
    const trainX = takeRows(training.x, before);
    const trainLabels = Float32Array.from(before, (i) => training.y[i]);
    const testX = takeRows(training.x, inYear);
    const testLabels = Float32Array.from(inYear, (i) => training.y[i]);
    const trainWeights =
      input.recencyHalfLife === undefined
        ? undefined
        : recencyWeights(
            before.map((i) => t[i]),
            input.recencyHalfLife,
          );
    const memberPredictions = await Promise.all(
      trials.map(async (trial) => {
        const outcome = await deps.pool.runTrial({
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
        });
        if (!outcome.model) throw new Error(`one-year-ahead model of ${trial.trialId} for ${year}: no model`);
        return deps.pool.predict({
          engine: outcome.engine,
          model: outcome.model,
          rounds: outcome.rounds,
          x: testX,
        });
      }),
    );
    const mean = averagePredictions(memberPredictions);
    inYear.forEach((r, i) => {
      rows.push({ date_time: dates[r], holiday: 'None' });
      labels.push(training.y[r]);
      predictions.push(mean[i]);
    });
    predicted.push(year);
  }
  return {
    years: predicted,
    rows,
    labels: Float32Array.from(labels),
    predictions: Float32Array.from(predictions),
  };
}
