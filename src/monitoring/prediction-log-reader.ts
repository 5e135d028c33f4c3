import { parsePredictionRows } from '../ml/prediction-rows';
import type { TrafficRow } from '../ml/types';
import type { BlobStore } from '../storage/blob-store';
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
  const prefix = predictionLogPrefix(modelName);
  const first = new Date(now.getTime() - (days - 1) * 86_400_000).toISOString().slice(0, 10);
  const keys = (await store.list(prefix))
    .map((info) => info.key)
    .filter((key) => {
      const day = key.slice(prefix.length, prefix.length + 10);
      return /^\d{4}-\d{2}-\d{2}$/.test(day) && day >= first && key.endsWith('.jsonl');
    });
  const result: LoggedRows = { rows: [], files: keys.length, badLines: [], badLineCount: 0 };
  for (const key of keys) {
    const lines = (await store.get(key)).toString('utf8').split('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        result.rows.push(parsePredictionRows([JSON.parse(line)])[0]);
      } catch (err) {
        result.badLineCount++;
        if (result.badLines.length < MAX_LISTED)
          result.badLines.push(`${key}:${i + 1}: ${(err as Error).message}`);
      }
    });
  }
  return result;
}
