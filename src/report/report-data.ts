/**
 * What a run report shows, as plain data, and the pure aggregations that turn a run's validation rows,
 * predictions and SHAP values into chart data. No I/O: the buildRunReport activity gathers the inputs.
 */
import type { ModelComparisonRecord, ShapSampleSummary } from '../contracts';
import type { Explanation } from '../engines/explain';
import type { DriftReport } from '../monitoring/psi';
import type { LocalDateTime, RegressionMetrics, XGBoostParams } from '../contracts/domain';
import { dayOfWeek, daysFromCivil } from '../data/local-date-time';

export interface ReportTrial {
  trialId: string;
  params: XGBoostParams;
  metrics?: RegressionMetrics;
  rounds?: number;
  trainMs?: number;
  error?: string;
}

export interface ReportRunSummary {
  runId: string;
  modelName: string;
  dataUri: string;
  filePrefix: string;
  years: number[];
  validationYear: number;
  trainRows: number;
  validationRows: number;
  duplicatesRemoved: number;
  badRows: Array<{ file: string; count: number; examples: string[] }>;
  engine: string;
  trigger: string;
  startedAt: string;
  durationMs: number;
  webUiUrl: string;
  datasetHash: string;
}

export interface ReportChampion {
  decision: 'promoted' | 'kept' | 'first-champion' | 'not-registered' | 'deferred';
  championVersion: number;
  candidate: { version: number; rmse: number };
  previousChampion?: { version: number; rmse: number };
  validationYear: number;
  reason: string;
  /** The rows compared and the interval. */
  comparison?: Omit<ModelComparisonRecord, 'reason'>;
}

export interface ReportValidation {
  /** Which model the SHAP values explain, e.g. "trial-042 (v7, the new champion)". */
  modelLabel: string;
  /**
   * Which model's errors `predicted` are: the explained model, or for a refitted one (which has trained on the
   * validation year) the model as selected, before the refit.
   */
  errorsLabel: string;
  times: LocalDateTime[];
  actual: Float32Array;
  predicted: Float32Array;
  /** SHAP values and predictions of the `shapSample` rows (all validation rows when it is absent). */
  explanation?: Explanation;
  /**
   * The explanation's rows: `rows` of the `of` validation rows (src/evaluation/shap-sample.ts), and each input's
   * mean |SHAP| over all rows as they estimate it, with its 95 % interval.
   */
  shapSample?: ShapSampleSummary;
  /** explanation.rows × explanation.columns, each column's input value where it is one number (else NaN); colours the beeswarm. */
  columnValues?: Float64Array;
  /** Why there are no SHAP values (e.g. a wasm model). */
  explanationUnavailable?: string;
  /** The model's central prediction intervals on these rows (its stored calibration), when it has one. */
  intervals?: { level: number; bounds: Array<[number, number]> };
  shapMs?: number;
}

export interface RunReportInput {
  run: ReportRunSummary;
  trials: ReportTrial[];
  champion?: ReportChampion;
  validation?: ReportValidation;
  drift?: { reportRef: string; report: DriftReport };
  generatedAt: string;
}

const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
export { DAY_NAMES, MONTH_NAMES };

/** `trial-042` → 42; trials without a number keep their order. */
export function trialNumber(trialId: string, fallback: number): number {
  const match = /(\d+)$/.exec(trialId);
  return match ? Number(match[1]) : fallback;
}

/** Each successful trial in trial order with the best RMSE so far. */
export function convergence(
  trials: readonly ReportTrial[],
): Array<{ trial: number; rmse: number; best: number }> {
  const ordered = trials
    .map((t, i) => ({ trial: trialNumber(t.trialId, i), rmse: t.metrics?.rmse }))
    .filter((t): t is { trial: number; rmse: number } => t.rmse !== undefined && Number.isFinite(t.rmse))
    .sort((a, b) => a.trial - b.trial);
  let best = Number.POSITIVE_INFINITY;
  return ordered.map((t) => ({ ...t, best: (best = Math.min(best, t.rmse)) }));
}

/** Long form (parameter, value, RMSE) for one small chart per hyperparameter. */
export function parameterPoints(
  trials: readonly ReportTrial[],
): Array<{ param: string; value: number; rmse: number }> {
  const points: Array<{ param: string; value: number; rmse: number }> = [];
  for (const trial of trials) {
    if (trial.metrics === undefined) continue;
    for (const [param, value] of Object.entries(trial.params)) {
      if (param === 'seed' || typeof value !== 'number') continue;
      points.push({ param, value, rmse: trial.metrics.rmse });
    }
  }
  return points;
}

function rmseOf(sumSquares: number, count: number): number {
  return count > 0 ? Math.sqrt(sumSquares / count) : Number.NaN;
}

/** RMSE per (hour of day, day of week) cell and per month, plus the mean error (bias) per month. */
export function errorBreakdown(validation: Pick<ReportValidation, 'times' | 'actual' | 'predicted'>): {
  byHourAndDay: Array<{ hour: number; day: string; rmse: number; rows: number }>;
  byMonth: Array<{ month: string; rmse: number; bias: number; rows: number }>;
} {
  const cells = new Float64Array(24 * 7);
  const cellRows = new Uint32Array(24 * 7);
  const months = new Float64Array(12);
  const monthBias = new Float64Array(12);
  const monthRows = new Uint32Array(12);
  validation.times.forEach((time, i) => {
    const error = validation.predicted[i] - validation.actual[i];
    const cell = time.hour * 7 + dayOfWeek(time);
    cells[cell] += error * error;
    cellRows[cell]++;
    months[time.month - 1] += error * error;
    monthBias[time.month - 1] += error;
    monthRows[time.month - 1]++;
  });
  const byHourAndDay = [];
  for (let hour = 0; hour < 24; hour++) {
    for (let day = 0; day < 7; day++) {
      const cell = hour * 7 + day;
      if (cellRows[cell] > 0)
        byHourAndDay.push({
          hour,
          day: DAY_NAMES[day],
          rmse: rmseOf(cells[cell], cellRows[cell]),
          rows: cellRows[cell],
        });
    }
  }
  const byMonth = [];
  for (let m = 0; m < 12; m++) {
    if (monthRows[m] > 0)
      byMonth.push({
        month: MONTH_NAMES[m],
        rmse: rmseOf(months[m], monthRows[m]),
        bias: monthBias[m] / monthRows[m],
        rows: monthRows[m],
      });
  }
  return { byHourAndDay, byMonth };
}

/**
 * The Monday-to-Sunday week of the validation set whose RMSE is closest to the whole set's (a typical week,
 * not the best or worst one), with its hourly actual and predicted volumes.
 */
export function typicalWeek(
  validation: Pick<ReportValidation, 'times' | 'actual' | 'predicted' | 'intervals'>,
):
  | {
      label: string;
      rmse: number;
      points: Array<{ time: string; series: 'actual' | 'predicted'; volume: number }>;
      /** The prediction interval at each hour, when the validation data carry intervals. */
      band?: Array<{ time: string; low: number; high: number }>;
      /** Share of the week's actual volumes inside their interval. */
      coverage?: number;
    }
  | undefined {
  const weeks = new Map<number, number[]>();
  let total = 0;
  validation.times.forEach((time, i) => {
    const days = daysFromCivil(time.year, time.month, time.day);
    const monday = days - dayOfWeek(time);
    let rows = weeks.get(monday);
    if (!rows) weeks.set(monday, (rows = []));
    rows.push(i);
    total += (validation.predicted[i] - validation.actual[i]) ** 2;
  });
  const overall = rmseOf(total, validation.times.length);
  let chosen: { rows: number[]; rmse: number } | undefined;
  // Only weeks with most of their rows (the first and last week of a year are partial).
  const fullest = Math.max(0, ...[...weeks.values()].map((rows) => rows.length));
  for (const rows of weeks.values()) {
    if (rows.length < 0.8 * fullest) continue;
    const rmse = rmseOf(
      rows.reduce((s, i) => s + (validation.predicted[i] - validation.actual[i]) ** 2, 0),
      rows.length,
    );
    if (!chosen || Math.abs(rmse - overall) < Math.abs(chosen.rmse - overall)) chosen = { rows, rmse };
  }
  if (!chosen) return undefined;
  const points: Array<{ time: string; series: 'actual' | 'predicted'; volume: number }> = [];
  for (const i of chosen.rows) {
    const time = validation.times[i].text.replace(' ', 'T');
    points.push({ time, series: 'actual', volume: validation.actual[i] });
    points.push({ time, series: 'predicted', volume: Math.round(validation.predicted[i]) });
  }
  const first = validation.times[chosen.rows[0]].text.slice(0, 10);
  const last = validation.times[chosen.rows[chosen.rows.length - 1]].text.slice(0, 10);
  const bounds = validation.intervals?.bounds;
  if (!bounds) return { label: `${first} – ${last}`, rmse: chosen.rmse, points };
  const band = chosen.rows.map((i) => ({
    time: validation.times[i].text.replace(' ', 'T'),
    low: Math.round(bounds[i][0]),
    high: Math.round(bounds[i][1]),
  }));
  const inside = chosen.rows.filter(
    (i) => validation.actual[i] >= bounds[i][0] && validation.actual[i] <= bounds[i][1],
  ).length;
  return {
    label: `${first} – ${last}`,
    rmse: chosen.rmse,
    points,
    band,
    coverage: inside / chosen.rows.length,
  };
}

/**
 * Beeswarm points: per column, at most `perColumn` rows (evenly spaced), stacked in SHAP bins so dense regions
 * widen as in the shap library's summary plot. `offset` is in [-1, 1]; `valueRank` is the row's input value as a
 * percentile within its column (-1 for columns with no single value, e.g. weather_main).
 */
export function beeswarmPoints(
  explanation: Explanation,
  columnValues: Float64Array | undefined,
  perColumn = 400,
  bins = 80,
): Array<{ column: string; shap: number; offset: number; valueRank: number }> {
  const { columns, rows, contributions } = explanation;
  const k = columns.length;
  const step = Math.max(1, Math.floor(rows / perColumn));
  const sampled: number[] = [];
  for (let r = 0; r < rows; r += step) sampled.push(r);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const r of sampled)
    for (let c = 0; c < k; c++) {
      min = Math.min(min, contributions[r * k + c]);
      max = Math.max(max, contributions[r * k + c]);
    }
  const width = max > min ? (max - min) / bins : 1;
  const points: Array<{ column: string; shap: number; offset: number; valueRank: number }> = [];
  for (let c = 0; c < k; c++) {
    const ranks = percentileRanks(sampled.map((r) => columnValues?.[r * k + c] ?? Number.NaN));
    const counts = new Map<number, number>();
    const placed = sampled.map((r, i) => {
      const shap = contributions[r * k + c];
      const bin = Math.floor((shap - min) / width);
      const n = counts.get(bin) ?? 0;
      counts.set(bin, n + 1);
      return { shap, n, rank: ranks[i] };
    });
    const tallest = Math.max(1, ...counts.values());
    for (const p of placed) {
      const side = p.n % 2 === 0 ? 1 : -1;
      points.push({
        column: columns[c],
        shap: Math.round(p.shap * 10) / 10,
        offset: Math.round(((side * Math.ceil(p.n / 2)) / tallest) * 1000) / 1000,
        valueRank: p.rank ?? -1,
      });
    }
  }
  return points;
}

/** Percentile (0–1) of each value among the others; null for NaN, all nulls if the values are constant. */
function percentileRanks(values: number[]): Array<number | null> {
  const finite = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (finite.length === 0 || finite[0] === finite[finite.length - 1]) return values.map(() => null);
  return values.map((v) => {
    if (Number.isNaN(v)) return null;
    let lo = 0;
    let hi = finite.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (finite[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    return Math.round((lo / (finite.length - 1)) * 100) / 100;
  });
}
