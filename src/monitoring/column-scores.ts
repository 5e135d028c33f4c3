/**
 * Per input column, how far a batch of rows is from the champion's training profile: PSI (psi.ts) and, in the
 * column's own terms, Wasserstein-1 (numeric) or Jensen–Shannon distance (categorical).
 */
import type { TrafficRow } from '../contracts/domain';
import { binnedWasserstein, jensenShannonDistance } from './distances';
import { computeDrift } from './psi';
import type { ReferenceProfile } from './reference-profile';

export interface ColumnScore {
  column: string;
  kind: 'numeric' | 'categorical';
  psi: number;
  /** Numeric columns: Wasserstein-1 on the profile's bins, in the column's unit (distances.ts). */
  wasserstein?: number;
  /** Categorical columns: Jensen–Shannon distance, 0–1. */
  jensenShannon?: number;
  rows: number;
}

/** The distance a column is judged by: Wasserstein for numeric columns, Jensen–Shannon for categorical ones. */
export function distanceOf(score: Pick<ColumnScore, 'wasserstein' | 'jensenShannon'>): number {
  return score.wasserstein ?? score.jensenShannon ?? 0;
}

export function scoreColumns(profile: ReferenceProfile, rows: readonly TrafficRow[]): ColumnScore[] {
  const drift = computeDrift({ profile, rows });
  return drift.features.map((f, i): ColumnScore => {
    const profiled = profile.features[i];
    const empty = drift.rows === 0;
    return {
      column: f.feature,
      kind: f.kind,
      psi: f.psi,
      ...(profiled.kind === 'numeric'
        ? { wasserstein: empty ? 0 : binnedWasserstein(profiled.edges, f.expected, f.actual) }
        : { jensenShannon: empty ? 0 : jensenShannonDistance(f.expected, f.actual) }),
      rows: drift.rows,
    };
  });
}

/** A column's day-to-day range over the training days: what a normal day's scores look like. */
export interface DailyBaseline {
  column: string;
  days: number;
  psiP99: number;
  psiMax: number;
  distanceP99: number;
  distanceMax: number;
}

/**
 * Below this many rows a day is too thin to judge: left out of the baseline, and a monitored day with fewer
 * rows is never called drifted (its scores are still recorded). The committed sample has about 9 rows a day.
 */
export const MIN_BASELINE_DAY_ROWS = 6;

function quantile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1)))];
}

/**
 * Each training day scored against the profile as a monitored day is: one day's weather is far narrower than a
 * month's (on the real 2015 data against 2013–2014 the median daily temperature PSI is 3.6), so a day is judged
 * against the largest score any training day reached, not against a PSI rule of thumb made for large batches.
 */
export function dailyBaseline(profile: ReferenceProfile, rows: readonly TrafficRow[]): DailyBaseline[] {
  const byDay = new Map<string, TrafficRow[]>();
  for (const row of rows) {
    const day = row.date_time.text.slice(0, 10);
    const list = byDay.get(day);
    if (list) list.push(row);
    else byDay.set(day, [row]);
  }
  const perColumn = profile.features.map(() => ({ psi: [] as number[], distance: [] as number[] }));
  for (const dayRows of byDay.values()) {
    if (dayRows.length < MIN_BASELINE_DAY_ROWS) continue;
    scoreColumns(profile, dayRows).forEach((s, i) => {
      perColumn[i].psi.push(s.psi);
      perColumn[i].distance.push(distanceOf(s));
    });
  }
  return profile.features.map((f, i) => {
    const psi = perColumn[i].psi.sort((a, b) => a - b);
    const distance = perColumn[i].distance.sort((a, b) => a - b);
    return {
      column: f.feature,
      days: psi.length,
      psiP99: psi.length ? quantile(psi, 0.99) : 0,
      psiMax: psi.length ? psi[psi.length - 1] : 0,
      distanceP99: distance.length ? quantile(distance, 0.99) : 0,
      distanceMax: distance.length ? distance[distance.length - 1] : 0,
    };
  });
}
