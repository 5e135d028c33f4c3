import { parsePredictionRows } from '../ml/prediction-rows';
import type { BlobStore } from '../storage/blob-store';
import type { ServedRow } from './monitoring-record';
import { predictionLogPrefix } from './prediction-log-keys';

export interface ServedRowsByDay {
  /** Served rows keyed by the local day of their `date_time` (the hour predicted, not when it was asked). */
  byDay: Map<string, ServedRow[]>;
  files: number;
  badLineCount: number;
}

/**
 * Every logged prediction of `modelName` whose predicted hour falls on one of `days`, with its input row. The
 * whole log is read: a forecast is logged on the day it was asked, which need not be the day it predicts.
 */
export async function readServedRows(
  store: BlobStore,
  modelName: string,
  days: ReadonlySet<string>,
): Promise<ServedRowsByDay> {
  const keys = (await store.list(predictionLogPrefix(modelName)))
    .map((info) => info.key)
    .filter((key) => key.endsWith('.jsonl'));
  const result: ServedRowsByDay = { byDay: new Map(), files: keys.length, badLineCount: 0 };
  for (const key of keys) {
    for (const line of (await store.get(key)).toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        const value = JSON.parse(line) as Record<string, unknown>;
        const row = parsePredictionRows([value])[0];
        const { prediction, version, loggedAt } = value;
        if (typeof prediction !== 'number' || !Number.isFinite(prediction)) throw new Error('bad prediction');
        if (typeof version !== 'number' || !Number.isInteger(version)) throw new Error('bad version');
        if (typeof loggedAt !== 'string') throw new Error('bad loggedAt');
        const day = row.date_time.text.slice(0, 10);
        if (!days.has(day)) continue;
        let list = result.byDay.get(day);
        if (!list) result.byDay.set(day, (list = []));
        list.push({ row, date_time: row.date_time.text, prediction, version, loggedAt });
      } catch {
        result.badLineCount++;
      }
    }
  }
  return result;
}
