/**
 * The monitoring record of one model and one day: drift of every input column, of the predictions and of the
 * target against the champion's training data, the live accuracy of what was served, and the row counts
 * behind each number. Pure: the monitor activity gathers the rows, this computes.
 */
import type { LiveAccuracy } from '../contracts';
import { mae, rmse } from '../evaluation/metrics';
import type { TrafficRow } from '../contracts/domain';
import { distanceOf, MIN_BASELINE_DAY_ROWS, scoreColumns, type ColumnScore } from './column-scores';
import { quantileSketch, sharesIn, sketchWasserstein } from './distances';
import { liveAccuracy, type ServedPrediction } from './live-accuracy';
import { DEFAULT_PSI_THRESHOLD, psi } from './psi';
import type { ReferenceProfile } from './reference-profile';
import { SKETCH_STEPS, type TrainingReference } from './training-reference';

export const MONITORING_RECORD_VERSION = 1;

export interface ColumnDrift extends ColumnScore {
  /** Training rows of the reference profile. */
  referenceRows: number;
  /**
   * The score this column is judged by today and its limit: 1.5 × the largest Wasserstein (numeric) or
   * Jensen–Shannon (categorical) distance any training day reached (column-scores.ts); without that baseline, PSI against the
   * threshold plus the PSI noise of `rows` rows.
   */
  thresholdMetric: 'wasserstein' | 'jensenShannon' | 'psi';
  threshold: number;
  /** Score ÷ threshold: above 1 the column drifted; comparable across columns. */
  ratio: number;
  drifted: boolean;
}

/** A one-dimensional comparison with a training sketch (predictions or target). */
export interface ValueDrift {
  rows: number;
  referenceRows: number;
  /** PSI over the reference's deciles (10 equal bins by construction). */
  psi: number;
  /** Wasserstein-1 in vehicles/h. */
  wasserstein: number;
  mean: number;
  referenceMedian: number;
}

export interface MonitoringRecord {
  kind: 'traffic-monitoring-record';
  version: number;
  modelName: string;
  /** Local calendar day of the rows' `date_time` (`YYYY-MM-DD`). */
  day: string;
  champion: { version: number; datasetHash: string };
  /** Where the input columns of `columns` came from: what was served that day, else the day's data-file rows. */
  columnSource: 'prediction-log' | 'data-files' | 'none';
  columns: ColumnDrift[];
  /** The column with the highest ratio to its threshold (ties: first in profile order); absent without rows. */
  worst?: { column: string; psi: number; ratio: number };
  /** Served predictions against the champion's predictions on its own training rows; absent when none served. */
  predictionDrift?: ValueDrift;
  /** The day's labelled rows against the training target; absent without labels. */
  targetDrift?: ValueDrift;
  /** Served predictions of hours of this day joined with their labels (live-accuracy.ts). */
  liveAccuracy: LiveAccuracy;
  /**
   * The champion re-scored on the day's labelled rows. `fittedOn` says whether those rows were in its training
   * or validation years: an in-sample RMSE is not evidence of accuracy and is labelled so.
   */
  championOnDay?: { rows: number; rmse: number; mae: number; fittedOn: boolean };
  counts: {
    /** Served predictions of this day's hours (all versions, repeats included). */
    served: number;
    /** Rows of this day in the data files, and those with a label. */
    dataRows: number;
    labelled: number;
    /** Malformed rows skipped in the data files read (whole files: rows carry no usable date). */
    badDataRows: number;
    /** Prediction-log lines that did not parse (whole log read). */
    badLogLines: number;
    /** Rows of the day's hours the prediction service dropped unlogged (prediction-log-keys.ts); null when not read. */
    droppedLogRows: number | null;
  };
  threshold: number;
}

export interface ServedRow extends ServedPrediction {
  row: TrafficRow;
}

export interface ComputeMonitoringRecordInput {
  modelName: string;
  day: string;
  profile: ReferenceProfile;
  reference: TrainingReference;
  dataRows: readonly TrafficRow[];
  served: readonly ServedRow[];
  /** The champion's predictions for the labelled rows of `dataRows`, in their order. */
  championPredictions?: ArrayLike<number>;
  championFittedOn?: boolean;
  badDataRows: number;
  badLogLines: number;
  droppedLogRows?: number | null;
  psiThreshold?: number;
}

/**
 * PSI's expected value on identical distributions is about (bins − 1)/rows (it behaves like χ²/n, psi.ts):
 * 0.375 for 10 bins and a day's 24 hourly rows. A column is drifted only beyond that noise plus the threshold.
 */
/**
 * A day drifts when its distance exceeds 1.5 × the largest any training day reached. Chosen on the real data's
 * 2015–2016 days against a 2013–2014 reference (554 days × 7 columns): limits of 1×, 1.25× and 1.5× the
 * training maximum flagged 20, 2 and 0 column-days; the years 2017–2018 were not looked at.
 */
export const DRIFT_LIMIT_MARGIN = 1.5;
/** A baseline of fewer training days is not trusted: the column falls back to the PSI rule. */
export const MIN_BASELINE_DAYS = 30;
/** Floor of a distance limit, so a column constant in training (snow in a snowless year) is not drifted by 0.001. */
const MIN_DISTANCE_LIMIT = 1e-6;

function binCount(profile: ReferenceProfile, i: number): number {
  const f = profile.features[i];
  return f.kind === 'numeric' ? f.edges.length + 1 : f.categories.length + (f.closed ? 0 : 1);
}

export function noiseAdjustedThreshold(threshold: number, bins: number, rows: number): number {
  return rows === 0 ? threshold : threshold + (bins - 1) / rows;
}

function valueDrift(
  values: ArrayLike<number>,
  sketch: readonly number[],
  referenceRows: number,
): ValueDrift | undefined {
  if (values.length === 0) return undefined;
  const deciles = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((d) => sketch[(d * SKETCH_STEPS) / 10]);
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return {
    rows: values.length,
    referenceRows,
    psi: psi(new Array<number>(10).fill(0.1), sharesIn(deciles, values)),
    wasserstein: sketchWasserstein(quantileSketch(values, SKETCH_STEPS), sketch) ?? 0,
    mean: sum / values.length,
    referenceMedian: sketch[SKETCH_STEPS / 2],
  };
}

export function computeMonitoringRecord(input: ComputeMonitoringRecordInput): MonitoringRecord {
  const threshold = input.psiThreshold ?? DEFAULT_PSI_THRESHOLD;
  const columnSource =
    input.served.length > 0 ? 'prediction-log' : input.dataRows.length > 0 ? 'data-files' : 'none';
  const current = columnSource === 'prediction-log' ? input.served.map((s) => s.row) : input.dataRows;
  const baseline = new Map((input.reference.dailyBaseline ?? []).map((b) => [b.column, b]));
  const columns = scoreColumns(input.profile, current).map((score, i): ColumnDrift => {
    const base = baseline.get(score.column);
    const bins = binCount(input.profile, i);
    const byDistance = base !== undefined && base.days >= MIN_BASELINE_DAYS;
    const limit = byDistance
      ? Math.max(DRIFT_LIMIT_MARGIN * base.distanceMax, MIN_DISTANCE_LIMIT)
      : noiseAdjustedThreshold(threshold, bins, score.rows);
    const value = byDistance ? distanceOf(score) : score.psi;
    const ratio = score.rows === 0 ? 0 : value / limit;
    return {
      ...score,
      referenceRows: input.profile.rows,
      thresholdMetric: byDistance ? (score.kind === 'numeric' ? 'wasserstein' : 'jensenShannon') : 'psi',
      threshold: limit,
      ratio,
      drifted: ratio > 1 && score.rows >= MIN_BASELINE_DAY_ROWS,
    };
  });
  const rows = columns[0]?.rows ?? 0;
  const worst = rows === 0 ? undefined : columns.reduce((a, b) => (b.ratio > a.ratio ? b : a), columns[0]);

  const labelled = input.dataRows.filter((r) => r.traffic_volume !== undefined);
  const labels = Float64Array.from(labelled, (r) => r.traffic_volume as number);
  let championOnDay: MonitoringRecord['championOnDay'];
  if (input.championPredictions && labelled.length > 0) {
    if (input.championPredictions.length !== labelled.length) {
      throw new Error(
        `${labelled.length} labelled rows but ${input.championPredictions.length} champion predictions`,
      );
    }
    championOnDay = {
      rows: labelled.length,
      rmse: rmse(labels, input.championPredictions),
      mae: mae(labels, input.championPredictions),
      fittedOn: input.championFittedOn ?? false,
    };
  }

  const predictionDrift = valueDrift(
    Float64Array.from(input.served, (s) => s.prediction),
    input.reference.predictions,
    input.reference.rows,
  );
  const targetDrift = valueDrift(labels, input.reference.target, input.reference.rows);
  return {
    kind: 'traffic-monitoring-record',
    version: MONITORING_RECORD_VERSION,
    modelName: input.modelName,
    day: input.day,
    champion: { version: input.reference.modelVersion, datasetHash: input.reference.datasetHash },
    columnSource,
    columns,
    ...(worst ? { worst: { column: worst.column, psi: worst.psi, ratio: worst.ratio } } : {}),
    ...(predictionDrift ? { predictionDrift } : {}),
    ...(targetDrift ? { targetDrift } : {}),
    liveAccuracy: liveAccuracy(input.served, input.dataRows),
    ...(championOnDay ? { championOnDay } : {}),
    counts: {
      served: input.served.length,
      dataRows: input.dataRows.length,
      labelled: labelled.length,
      badDataRows: input.badDataRows,
      badLogLines: input.badLogLines,
      droppedLogRows: input.droppedLogRows ?? null,
    },
    threshold,
  };
}

/** The local day (`YYYY-MM-DD`) of a row's `date_time`. */
export function dayOf(row: TrafficRow): string {
  return row.date_time.text.slice(0, 10);
}
