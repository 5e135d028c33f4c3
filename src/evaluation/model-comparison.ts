/**
 * Paired comparison of two models and decay of one model, judged with enough evidence: errors are grouped by
 * calendar day and whole days are resampled (a block bootstrap), because hourly errors within a day are correlated
 * and a row-level bootstrap would make a few days look like a lot of evidence. Pure and deterministic: the same rows
 * and rule give the same interval, so a decision can be replayed and audited.
 */
import { createRng } from '../common/random';

/** One labelled row scored by both models; `dateTime` is 'YYYY-MM-DD HH:MM:SS' local, as in the data. */
export interface PairedRow {
  dateTime: string;
  actual: number;
  champion: number;
  challenger: number;
}

export interface EvidenceRule {
  /** Fewest distinct calendar days the window must hold before any verdict other than 'too-few-days'. */
  minDays: number;
  /** Two-sided confidence of the bootstrap interval, in (0, 1). */
  confidence: number;
  resamples?: number;
  seed?: number;
}

export const DEFAULT_EVIDENCE_RULE: Required<EvidenceRule> = {
  minDays: 14,
  confidence: 0.95,
  resamples: 2000,
  seed: 16,
};

export interface Interval {
  estimate: number;
  low: number;
  high: number;
}

export interface PairedComparison {
  /** First and last `dateTime` of the rows compared ('' when there are none). */
  from: string;
  to: string;
  rows: number;
  days: number;
  /** NaN when there are no rows. */
  championRmse: number;
  challengerRmse: number;
  /** challengerRmse - championRmse; negative means the challenger is better. */
  difference: Interval;
  verdict: 'better' | 'not-better' | 'too-few-days';
  reason: string;
}

/** One served (or would-be-served) prediction with the label that later arrived for its hour. */
export interface ServedRow {
  dateTime: string;
  actual: number;
  predicted: number;
}

export interface DecayAssessment {
  from: string;
  to: string;
  rows: number;
  days: number;
  rmse: number;
  expectedRmse: number;
  /** rmse / expectedRmse. */
  ratio: Interval;
  verdict: 'decayed' | 'not-decayed' | 'too-few-days';
  reason: string;
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

interface DayBlock {
  rows: number;
  /** Sums of squared errors per scored series, in the order the caller gave. */
  sse: number[];
}

interface Blocks {
  from: string;
  to: string;
  rows: number;
  days: DayBlock[];
}

function resolveRule(rule: EvidenceRule): Required<EvidenceRule> {
  const resolved = {
    minDays: rule.minDays,
    confidence: rule.confidence,
    resamples: rule.resamples ?? DEFAULT_EVIDENCE_RULE.resamples,
    seed: rule.seed ?? DEFAULT_EVIDENCE_RULE.seed,
  };
  if (!Number.isInteger(resolved.minDays) || resolved.minDays < 1) {
    throw new Error(`evidence rule: minDays must be a whole number >= 1, got ${rule.minDays}`);
  }
  if (!(resolved.confidence > 0 && resolved.confidence < 1)) {
    throw new Error(`evidence rule: confidence must be in (0, 1), got ${rule.confidence}`);
  }
  if (!Number.isInteger(resolved.resamples) || resolved.resamples < 100) {
    throw new Error(`evidence rule: resamples must be a whole number >= 100, got ${resolved.resamples}`);
  }
  if (!Number.isFinite(resolved.seed))
    throw new Error(`evidence rule: seed must be a finite number, got ${rule.seed}`);
  return resolved;
}

/** Groups rows by calendar day; `errors(row)` gives each series' error for the row. */
function dayBlocks<R extends { dateTime: string; actual: number }>(
  rows: readonly R[],
  series: number,
  errors: (row: R) => number[],
): Blocks {
  const byDay = new Map<string, DayBlock>();
  let from = '';
  let to = '';
  for (const row of rows) {
    if (!DATE_TIME.test(row.dateTime)) {
      throw new Error(`comparison row has date_time '${row.dateTime}', expected 'YYYY-MM-DD HH:MM:SS'`);
    }
    const e = errors(row);
    if (!Number.isFinite(row.actual) || e.some((x) => !Number.isFinite(x))) {
      throw new Error(`comparison row at ${row.dateTime} has a non-finite actual or prediction`);
    }
    const day = row.dateTime.slice(0, 10);
    let block = byDay.get(day);
    if (!block) {
      block = { rows: 0, sse: new Array<number>(series).fill(0) };
      byDay.set(day, block);
    }
    block.rows++;
    for (let s = 0; s < series; s++) block.sse[s] += e[s] * e[s];
    if (from === '' || row.dateTime < from) from = row.dateTime;
    if (to === '' || row.dateTime > to) to = row.dateTime;
  }
  const days = [...byDay.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, block]) => block);
  return { from, to, rows: rows.length, days };
}

function rmseOf(days: readonly DayBlock[], s: number): number {
  let sse = 0;
  let n = 0;
  for (const d of days) {
    sse += d.sse[s];
    n += d.rows;
  }
  return n === 0 ? Number.NaN : Math.sqrt(sse / n);
}

/** Percentile (linear interpolation between order statistics) of a sorted array. */
function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Percentile interval of `statistic` over day-resamples, around the statistic on the days as observed. */
function bootstrapInterval(
  days: readonly DayBlock[],
  rule: Required<EvidenceRule>,
  statistic: (sample: readonly DayBlock[]) => number,
): Interval {
  const estimate = statistic(days);
  const rng = createRng(rule.seed);
  const draws = new Array<number>(rule.resamples);
  const sample = new Array<DayBlock>(days.length);
  for (let b = 0; b < rule.resamples; b++) {
    for (let i = 0; i < days.length; i++) sample[i] = days[Math.floor(rng.next() * days.length)];
    draws[b] = statistic(sample);
  }
  draws.sort((a, b) => a - b);
  const tail = (1 - rule.confidence) / 2;
  return { estimate, low: quantile(draws, tail), high: quantile(draws, 1 - tail) };
}

const fmt = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : String(x));
const pct = (c: number): string => `${+(c * 100).toFixed(2)}%`;

/**
 * Is the challenger better than the champion on these rows beyond noise? 'better' when the upper bound of the
 * two-sided `confidence` interval of challengerRmse - championRmse is below zero; 'too-few-days' when the rows
 * span fewer than `minDays` calendar days (no interval is trusted then, whatever it says).
 */
export function comparePaired(rows: readonly PairedRow[], rule: EvidenceRule): PairedComparison {
  const r = resolveRule(rule);
  const blocks = dayBlocks(rows, 2, (row) => [row.actual - row.champion, row.actual - row.challenger]);
  const base = { from: blocks.from, to: blocks.to, rows: blocks.rows, days: blocks.days.length };
  const championRmse = rmseOf(blocks.days, 0);
  const challengerRmse = rmseOf(blocks.days, 1);
  if (blocks.days.length < r.minDays) {
    const estimate = challengerRmse - championRmse;
    return {
      ...base,
      championRmse,
      challengerRmse,
      difference: { estimate, low: Number.NaN, high: Number.NaN },
      verdict: 'too-few-days',
      reason:
        `${blocks.days.length} day(s) (${blocks.rows} rows) of labelled rows neither model was fitted on; ` +
        `at least ${r.minDays} are needed before deciding`,
    };
  }
  const difference = bootstrapInterval(blocks.days, r, (days) => rmseOf(days, 1) - rmseOf(days, 0));
  const better = difference.high < 0;
  const interval = `${pct(r.confidence)} interval of the RMSE difference [${fmt(difference.low)}, ${fmt(difference.high)}]`;
  return {
    ...base,
    championRmse,
    challengerRmse,
    difference,
    verdict: better ? 'better' : 'not-better',
    reason: better
      ? `challenger RMSE ${fmt(challengerRmse)} vs champion ${fmt(championRmse)} over ${blocks.days.length} days ` +
        `(${blocks.rows} rows): the ${interval} lies below zero`
      : `challenger RMSE ${fmt(challengerRmse)} vs champion ${fmt(championRmse)} over ${blocks.days.length} days ` +
        `(${blocks.rows} rows) is not better beyond noise: the ${interval} reaches ${fmt(difference.high)} >= 0`,
  };
}

/**
 * Has the model decayed? Its RMSE on these rows against the RMSE expected of it; 'decayed' when the lower bound of
 * the two-sided `confidence` interval of rmse / expectedRmse exceeds `rule.ratio`.
 */
export function assessDecay(
  rows: readonly ServedRow[],
  expectedRmse: number,
  rule: EvidenceRule & { ratio: number },
): DecayAssessment {
  const r = resolveRule(rule);
  if (!(expectedRmse > 0 && Number.isFinite(expectedRmse))) {
    throw new Error(`decay: expected RMSE must be a positive number, got ${expectedRmse}`);
  }
  if (!(rule.ratio > 0 && Number.isFinite(rule.ratio))) {
    throw new Error(`decay: ratio must be a positive number, got ${rule.ratio}`);
  }
  const blocks = dayBlocks(rows, 1, (row) => [row.actual - row.predicted]);
  const base = {
    from: blocks.from,
    to: blocks.to,
    rows: blocks.rows,
    days: blocks.days.length,
    expectedRmse,
  };
  const rmse = rmseOf(blocks.days, 0);
  if (blocks.days.length < r.minDays) {
    return {
      ...base,
      rmse,
      ratio: { estimate: rmse / expectedRmse, low: Number.NaN, high: Number.NaN },
      verdict: 'too-few-days',
      reason:
        `${blocks.days.length} day(s) (${blocks.rows} rows) of labelled rows after the model's training data; ` +
        `at least ${r.minDays} are needed before judging decay`,
    };
  }
  const ratio = bootstrapInterval(blocks.days, r, (days) => rmseOf(days, 0) / expectedRmse);
  const decayed = ratio.low > rule.ratio;
  const interval = `${pct(r.confidence)} interval of RMSE / expected [${ratio.low.toFixed(3)}, ${ratio.high.toFixed(3)}]`;
  return {
    ...base,
    rmse,
    ratio,
    verdict: decayed ? 'decayed' : 'not-decayed',
    reason:
      `RMSE ${fmt(rmse)} vs expected ${fmt(expectedRmse)} over ${blocks.days.length} days (${blocks.rows} rows): ` +
      (decayed
        ? `the ${interval} lies above ${rule.ratio}`
        : `the ${interval} does not lie above ${rule.ratio}`),
  };
}
