import { mae, rmse } from '../evaluation/metrics';
import type { LiveAccuracy } from '../contracts/retraining';

/** One prediction as the service logged it (the fields of `LoggedPrediction` this join needs). */
export interface ServedPrediction {
  /** Canonical local `YYYY-MM-DD HH:MM:SS`, as in the data files. */
  date_time: string;
  prediction: number;
  version: number;
  /** ISO-8601 instant the prediction was served. */
  loggedAt: string;
}

/** A row of the data files; only rows with `traffic_volume` are labels. */
export interface LabelledRow {
  date_time: { text: string };
  traffic_volume?: number;
}

/**
 * The accuracy of what was actually served: each served prediction joined with the labelled row of its
 * `date_time`, per served version.
 *
 * Duplicates: the same hour served more than once by the same version (a client asking again, a forecast
 * re-sent with newer weather) counts once, with the answer served last (latest `loggedAt`; a tie goes to the
 * later log row). Every hour weighs the same whatever the number of requests, and the kept answer is the one
 * the caller was last given. The same hour served by two versions counts once in each.
 *
 * Labels: the data files hold several rows for one hour when the weather had several conditions; they carry
 * the same `traffic_volume`, which is the label. An hour whose rows disagree is not a label (counted in
 * `ambiguousLabels`).
 */
export function liveAccuracy(
  served: readonly ServedPrediction[],
  labelled: readonly LabelledRow[],
): LiveAccuracy {
  const labels = new Map<string, number>();
  const conflicting = new Set<string>();
  for (const row of labelled) {
    if (row.traffic_volume === undefined) continue;
    const at = row.date_time.text;
    const seen = labels.get(at);
    if (seen === undefined) labels.set(at, row.traffic_volume);
    else if (seen !== row.traffic_volume) conflicting.add(at);
  }

  const last = new Map<string, ServedPrediction>();
  let duplicates = 0;
  for (const p of served) {
    const key = `${p.version}\u0000${p.date_time}`;
    const kept = last.get(key);
    if (kept) duplicates++;
    if (!kept || p.loggedAt >= kept.loggedAt) last.set(key, p);
  }

  const byVersion = new Map<number, { at: string[]; actual: number[]; predicted: number[] }>();
  let unmatched = 0;
  let ambiguousLabels = 0;
  for (const p of last.values()) {
    if (conflicting.has(p.date_time)) {
      ambiguousLabels++;
      continue;
    }
    const actual = labels.get(p.date_time);
    if (actual === undefined) {
      unmatched++;
      continue;
    }
    let group = byVersion.get(p.version);
    if (!group) byVersion.set(p.version, (group = { at: [], actual: [], predicted: [] }));
    group.at.push(p.date_time);
    group.actual.push(actual);
    group.predicted.push(p.prediction);
  }

  const versions = [...byVersion.entries()]
    .sort(([a], [b]) => a - b)
    .map(([version, g]) => {
      const sorted = [...g.at].sort();
      return {
        version,
        rows: g.at.length,
        rmse: rmse(g.actual, g.predicted),
        mae: mae(g.actual, g.predicted),
        from: sorted[0],
        to: sorted[sorted.length - 1],
      };
    });
  return {
    matched: versions.reduce((sum, v) => sum + v.rows, 0),
    unmatched,
    duplicates,
    ambiguousLabels,
    byVersion: versions,
  };
}
