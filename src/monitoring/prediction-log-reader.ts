import { parsePredictionRows } from '../data/prediction-rows';
import type { TrafficRow } from '../contracts/domain';
import type { BlobStore } from '../storage/blob-store';
import type { ServedPrediction } from './live-accuracy';
import { predictionLogPrefix } from './prediction-log-keys';

export interface LoggedRows {
  rows: TrafficRow[];
  /** Log files read. */
  files: number;
  /** Lines that did not parse as a logged row, e.g. `predictions/m/2024-05-01/x.jsonl:12: ...`; counted in full. */
  badLines: string[];
  badLineCount: number;
}

/** Cap on the bad lines listed (all are counted). */
const MAX_LISTED = 20;

/**
 * The rows the prediction service served for `modelName` on the `days` UTC days up to `now` (today included),
 * as the "current" data of a drift assessment.
 */
export async function readLoggedRows(
  store: BlobStore,
  modelName: string,
  days: number,
  now: Date,
): Promise<LoggedRows> {
  const first = new Date(now.getTime() - (days - 1) * 86_400_000).toISOString().slice(0, 10);
  const rows: TrafficRow[] = [];
  const read = await readLogLines(store, modelName, first, (value) => {
    rows.push(parsePredictionRows([value])[0]);
  });
  return { rows, ...read };
}

export interface ServedPredictions {
  served: ServedPrediction[];
  files: number;
  badLines: string[];
  badLineCount: number;
}

/**
 * Every prediction the service logged for `modelName` (all days: a served hour's label may arrive long after
 * it was served), with the version that served it.
 */
export async function readServedPredictions(store: BlobStore, modelName: string): Promise<ServedPredictions> {
  const served: ServedPrediction[] = [];
  const read = await readLogLines(store, modelName, '', (value) => {
    served.push(servedLine(value).served);
  });
  return { served, ...read };
}

/** One logged line as the input row and the served prediction; throws on a line that is not one. */
function servedLine(value: unknown): { row: TrafficRow; served: ServedPrediction } {
  const row = parsePredictionRows([value])[0];
  const { prediction, version, loggedAt } = value as Record<string, unknown>;
  if (typeof prediction !== 'number' || !Number.isFinite(prediction))
    throw new Error('field prediction: not a finite number');
  if (typeof version !== 'number' || !Number.isInteger(version))
    throw new Error('field version: not an integer');
  if (typeof loggedAt !== 'string') throw new Error('field loggedAt: not a string');
  return { row, served: { date_time: row.date_time.text, prediction, version, loggedAt } };
}

export interface ServedRowsByDay {
  /** Served rows keyed by the local day of their `date_time` (the hour predicted, not when it was asked). */
  byDay: Map<string, (ServedPrediction & { row: TrafficRow })[]>;
  files: number;
  badLineCount: number;
}

/**
 * The logged predictions whose predicted hour falls on one of `days`, with their input rows (monitoring
 * records). The whole log is read: a forecast is logged on the day it was asked, not the day it predicts.
 */
export async function readServedRows(
  store: BlobStore,
  modelName: string,
  days: ReadonlySet<string>,
): Promise<ServedRowsByDay> {
  const byDay: ServedRowsByDay['byDay'] = new Map();
  const read = await readLogLines(store, modelName, '', (value) => {
    const { row, served } = servedLine(value);
    const day = served.date_time.slice(0, 10);
    if (!days.has(day)) return;
    const list = byDay.get(day);
    if (list) list.push({ ...served, row });
    else byDay.set(day, [{ ...served, row }]);
  });
  return { byDay, files: read.files, badLineCount: read.badLineCount };
}

/** Calls `use` with each parsed line of the log files of days >= `firstDay`; a line it rejects is a bad line. */
async function readLogLines(
  store: BlobStore,
  modelName: string,
  firstDay: string,
  use: (value: unknown) => void,
): Promise<Omit<LoggedRows, 'rows'>> {
  const prefix = predictionLogPrefix(modelName);
  const keys = (await store.list(prefix))
    .map((info) => info.key)
    .filter((key) => {
      const day = key.slice(prefix.length, prefix.length + 10);
      return /^\d{4}-\d{2}-\d{2}$/.test(day) && day >= firstDay && key.endsWith('.jsonl');
    });
  const result = { files: keys.length, badLines: [] as string[], badLineCount: 0 };
  for (const key of keys) {
    const lines = (await store.get(key)).toString('utf8').split('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        use(JSON.parse(line));
      } catch (err) {
        result.badLineCount++;
        if (result.badLines.length < MAX_LISTED)
          result.badLines.push(`${key}:${i + 1}: ${(err as Error).message}`);
      }
    });
  }
  return result;
}
