/**
 * Decision quality of the champion rules (issue 16 part 8): the project's own comparison and decay functions
 * (src/evaluation/model-comparison.ts) on synthetic error series with a known truth, and a replay of the retraining
 * loop on the real data.
 *
 *   npm run bench:decisions [-- --json] [--seeds 20] [--arrival-days 30] [--skip-real] [--years 2013,2016]
 *
 * Synthetic (a)–(d): hourly errors correlated within a day (a day effect plus an AR(1) walk over the hours),
 * the two models' errors sharing most of their noise (they err on the same hours), RMSE about 450 as on the
 * real data. Labelled rows arrive every --arrival-days days; each arrival re-runs the comparison on every row
 * after both models' training data, as the retraining check re-compares a challenger.
 *
 * Real (e) (decision-replay.ts): for each year Y, a champion trained on every year before Y; the year arrives month
 * by month. Frozen: the first champion serves all year. Refresh: month m is served by a model trained on every row
 * before it. The loop: the champion in force serves, under each promotion rule of RULES (all deciding with
 * comparePaired on rows neither compared model was fitted on). Training uses the project's code with ONE fixed
 * parameter setting and no search, in-process, not through Temporal, so that the replay runs in minutes.
 * (b') runs each rule's testing protocol on the synthetic series, for its false promotions in a year.
 */
import { parseArgs } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import { dedupeRows } from '../../src/data/dedupe';
import {
  assessDecay,
  comparePaired,
  DEFAULT_EVIDENCE_RULE,
  type EvidenceRule,
  type PairedRow,
} from '../../src/evaluation/model-comparison';
import { createRng, type Rng } from '../../src/search/search-space';
import { parseTrafficCsv } from '../../src/data/traffic-csv';
import type { TrafficRow } from '../../src/contracts/domain';
import { locateData } from './data';
import { REPLAY_PARAMS, replayYear, RULES, type YearReplay } from './decision-replay';
import { median, progress, round } from './stats';

const PROJECT_ROOT = path.resolve(__dirname, '../../..');
/** The retraining check's default `--decay-ratio`. */
const DECAY_RATIO = 1.25;
const MODEL_RMSE = 450;
/** Share of a model's error variance the two models have in common (they miss the same hours). */
const SHARED = 0.8;
/** Share of the error variance that is a whole-day effect; the rest is an AR(1) walk over the hours. */
const DAY_SHARE = 0.3;
const AR = 0.7;
/** A weekday's hourly traffic shape (vehicles/hour), for the level shift of (c). */
const HOURLY_LEVEL = [
  600, 400, 300, 350, 800, 2600, 5000, 5800, 5300, 4500, 4300, 4600, 4800, 4800, 5000, 5500, 6000, 5700, 4500,
  3500, 3000, 2800, 2200, 1200,
];
const RULE: EvidenceRule = {
  minDays: DEFAULT_EVIDENCE_RULE.minDays,
  confidence: DEFAULT_EVIDENCE_RULE.confidence,
};
function gaussian(rng: Rng): number {
  const u = Math.max(rng.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/** Unit-variance hourly noise, correlated within each day (day effect + AR(1) over the hours). */
function dayCorrelatedNoise(rng: Rng, days: number): Float64Array {
  const out = new Float64Array(days * 24);
  for (let d = 0; d < days; d++) {
    const day = gaussian(rng);
    let walk = gaussian(rng);
    for (let h = 0; h < 24; h++) {
      if (h > 0) walk = AR * walk + Math.sqrt(1 - AR * AR) * gaussian(rng);
      out[d * 24 + h] = Math.sqrt(DAY_SHARE) * day + Math.sqrt(1 - DAY_SHARE) * walk;
    }
  }
  return out;
}

function dateTimeOf(dayIndex: number, hour: number): string {
  const d = new Date(Date.UTC(2030, 0, 1) + dayIndex * 86_400_000);
  return `${d.toISOString().slice(0, 10)} ${String(hour).padStart(2, '0')}:00:00`;
}

/** Champion and challenger errors over `days` days; the challenger's true RMSE is `ratio` times the champion's. */
function pairedSeries(seed: number, days: number, ratio: number): PairedRow[] {
  const rng = createRng(seed);
  const shared = dayCorrelatedNoise(rng, days);
  const own1 = dayCorrelatedNoise(rng, days);
  const own2 = dayCorrelatedNoise(rng, days);
  const rows: PairedRow[] = [];
  for (let i = 0; i < days * 24; i++) {
    const actual = 3000;
    const common = Math.sqrt(SHARED) * shared[i];
    rows.push({
      dateTime: dateTimeOf(Math.floor(i / 24), i % 24),
      actual,
      champion: actual - MODEL_RMSE * (common + Math.sqrt(1 - SHARED) * own1[i]),
      challenger: actual - ratio * MODEL_RMSE * (common + Math.sqrt(1 - SHARED) * own2[i]),
    });
  }
  return rows;
}

/** The first arrival (in days of labelled rows) at which the rule promotes, undefined when never within a year. */
function promotionDay(rows: PairedRow[], arrivalDays: number): number | undefined {
  for (let days = arrivalDays; days <= 365; days += arrivalDays) {
    if (comparePaired(rows.slice(0, days * 24), RULE).verdict === 'better') return days;
  }
  return undefined;
}

interface PromotionScenario {
  trueImprovement: string;
  runs: number;
  promoted: number;
  share: number;
  medianDelayDays?: number;
  maxDelayDays?: number;
}

function promotionScenario(
  improvement: number,
  seeds: number,
  arrivalDays: number,
  base: number,
): PromotionScenario {
  const delays: number[] = [];
  for (let s = 0; s < seeds; s++) {
    const day = promotionDay(pairedSeries(base + s, 365, 1 - improvement), arrivalDays);
    if (day !== undefined) delays.push(day);
  }
  return {
    trueImprovement: `${round(improvement * 100)}%`,
    runs: seeds,
    promoted: delays.length,
    share: round(delays.length / seeds, 3),
    ...(delays.length ? { medianDelayDays: median(delays), maxDelayDays: Math.max(...delays) } : {}),
  };
}

/**
 * A rule's testing protocol on synthetic series over a year of monthly checks: `window(k)` gives the days (from,
 * to) compared at check k = 1..11, after `historyDays` of earlier paired rows. Reported: the runs with any
 * promotion in the year (with a refit of equal quality, false promotions) and with one at the first check.
 */
function protocolScenario(
  improvement: number,
  seeds: number,
  base: number,
  historyDays: number,
  windows: (k: number) => [number, number, number][],
) {
  let promoted = 0;
  let atFirstCheck = 0;
  for (let s = 0; s < seeds; s++) {
    // Series 1 is a second, independent contender (the half-month probe).
    const series = [0, 1].map((i) => pairedSeries(base + s + 500 * i, historyDays + 330, 1 - improvement));
    const better = Array.from({ length: 11 }, (_, i) =>
      windows(i + 1).some(
        ([from, to, which]) =>
          comparePaired(series[which].slice(from * 24, to * 24), RULE).verdict === 'better',
      ),
    );
    if (better.includes(true)) promoted++;
    if (better[0]) atFirstCheck++;
  }
  return { trueImprovement: `${round(improvement * 100)}%`, runs: seeds, promoted, atFirstCheck };
}

/** The protocols of the (e) rules, with refits of equal quality and 3 % better. */
function protocols(seeds: number) {
  const history = 730;
  const defs: Record<string, [number, (k: number) => [number, number, number][]]> = {
    // A new challenger each month, compared on the newest month only (selected, newest-refit).
    'monthly challenger': [0, (k) => [[30 * (k - 1), 30 * k, 0]]],
    // The same plus a half-month probe each month, on the month's last 16 days (half-month-probe).
    'monthly challenger + probe': [
      0,
      (k) => [
        [30 * (k - 1), 30 * k, 0],
        [30 * k - 16, 30 * k, 1],
      ],
    ],
    // The refresh record over the last 12 months (refresh-record-12) and over all history (refresh-record).
    'rolling 12 months': [365, (k) => [[30 * k, 365 + 30 * k, 0]]],
    'all history': [history, (k) => [[0, history + 30 * k, 0]]],
  };
  return Object.entries(defs).map(([name, [historyDays, window]], i) => ({
    protocol: name,
    equal: protocolScenario(0, seeds, 11000 + 1000 * i, historyDays, window),
    better3: protocolScenario(0.03, seeds, 21000 + 1000 * i, historyDays, window),
  }));
}

/** Served errors of a model whose expected RMSE is MODEL_RMSE; from `shiftDay` on, traffic is `shift` higher. */
function servedSeries(seed: number, days: number, shift: number, shiftDay: number) {
  const rng = createRng(seed);
  const noise = dayCorrelatedNoise(rng, days);
  return Array.from({ length: days * 24 }, (_, i) => {
    const level = HOURLY_LEVEL[i % 24];
    const shifted = Math.floor(i / 24) >= shiftDay ? level * (1 + shift) : level;
    return {
      dateTime: dateTimeOf(Math.floor(i / 24), i % 24),
      actual: shifted + MODEL_RMSE * noise[i],
      predicted: level,
    };
  });
}

function decayDay(
  rows: ReturnType<typeof servedSeries>,
  minDays: number,
  checkEvery: number,
  lastDay: number,
): number | undefined {
  for (let days = checkEvery; days <= lastDay; days += checkEvery) {
    const a = assessDecay(rows.slice(0, days * 24), MODEL_RMSE, { ...RULE, minDays, ratio: DECAY_RATIO });
    if (a.verdict === 'decayed') return days;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------- real data (e)

function readYears(dir: string, files: { year: number; file: string }[], upTo: number): TrafficRow[] {
  const rows: TrafficRow[] = [];
  for (const f of files.filter((x) => x.year <= upTo)) {
    rows.push(
      ...parseTrafficCsv({ text: fs.readFileSync(f.file, 'utf8'), file: path.basename(f.file) }).rows,
    );
  }
  return dedupeRows(rows);
}

// ---------------------------------------------------------------------------------------------------- main

function main(): void {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      seeds: { type: 'string', default: '20' },
      'arrival-days': { type: 'string', default: '30' },
      'skip-real': { type: 'boolean', default: false },
      years: { type: 'string', default: '2013,2016' },
    },
  });
  const seeds = Number(values.seeds);
  const arrivalDays = Number(values['arrival-days']);
  if (!Number.isInteger(seeds) || seeds < 20)
    throw new Error(`--seeds must be an integer of at least 20, got ${values.seeds}`);
  if (!Number.isInteger(arrivalDays) || arrivalDays < 1)
    throw new Error(`--arrival-days must be a positive integer, got ${values['arrival-days']}`);
  const years = values.years.split(',').map(Number);
  if (years.some((y) => !Number.isInteger(y) || y > 2016))
    throw new Error(`--years must be years up to 2016 (2017 and 2018 stay unseen), got ${values.years}`);

  progress('(a) truly better candidates');
  const better = [0.03, 0.05, 0.1].map((d, i) => promotionScenario(d, seeds, arrivalDays, 1000 * (i + 1)));
  progress('(b) a candidate of equal quality');
  const equal = promotionScenario(0, seeds, arrivalDays, 9000);
  progress("(b') the (e) rules' protocols: refits of equal quality, and 3 % better");
  const ruleProtocols = protocols(seeds);
  progress('(c) a 15 % level shift');
  const shiftDays = (minDays: number) =>
    Array.from({ length: seeds }, (_, s) => decayDay(servedSeries(5000 + s, 60, 0.15, 0), minDays, 1, 60));
  const caughtDefault = shiftDays(RULE.minDays);
  const caught7 = shiftDays(7);
  progress('(d) a stationary year');
  const alarms = Array.from({ length: seeds }, (_, s) =>
    decayDay(servedSeries(7000 + s, 365, 0, 366), RULE.minDays, 7, 365),
  ).filter((d) => d !== undefined).length;

  const summarise = (days: (number | undefined)[]) => {
    const caught = days.filter((d): d is number => d !== undefined);
    return {
      runs: days.length,
      caught: caught.length,
      medianDay: median(caught),
      maxDay: Math.max(...caught),
    };
  };
  const synthetic = {
    rule: { ...RULE, resamples: DEFAULT_EVIDENCE_RULE.resamples, decayRatio: DECAY_RATIO, arrivalDays },
    a: better,
    b: equal,
    ruleProtocols,
    c: { defaultMinDays: summarise(caughtDefault), minDays7: summarise(caught7) },
    d: { runs: seeds, alarms },
  };

  let real: YearReplay[] | undefined;
  let source: string | undefined;
  if (!values['skip-real']) {
    const data = locateData(PROJECT_ROOT);
    source = `${data.kind}: ${data.dir}`;
    const rows = readYears(data.dir, data.files, Math.max(...years));
    real = years.map((y) => replayYear(rows, y, RULE));
  }

  const met = {
    a: better[0].share === 1,
    b: equal.share <= 0.05,
    bProtocols: Object.fromEntries(ruleProtocols.map((p) => [p.protocol, p.equal.promoted <= 0.05 * seeds])),
    c: caught7.every((d) => d !== undefined && d <= 7),
    cDefault: caughtDefault.every((d) => d !== undefined && d <= 14),
    d: alarms === 0,
    ...(real
      ? {
          e: Object.fromEntries(
            (Object.keys(RULES) as (keyof typeof RULES)[]).map((name) => [
              name,
              real?.every((y) => y.rules.find((r) => r.rule === name)?.met === true),
            ]),
          ),
        }
      : {}),
  };
  const result = {
    synthetic,
    ...(real ? { real: { source, params: REPLAY_PARAMS, years: real } } : {}),
    met,
  };
  if (values.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  console.log(
    `evidence rule: ${RULE.minDays} days minimum, ${RULE.confidence * 100}% interval, arrivals every ${arrivalDays} days`,
  );
  console.log('(a) truly better candidate: promoted / runs, delay in days of labelled rows (median, max)');
  for (const s of better)
    console.log(
      `    ${s.trueImprovement.padStart(4)} better: ${s.promoted}/${s.runs}, delay ${s.medianDelayDays ?? '-'} / ${s.maxDelayDays ?? '-'}`,
    );
  console.log(
    `(b) equal quality: promoted in ${equal.promoted}/${equal.runs} runs (${round(equal.share * 100)}%)`,
  );
  const c = synthetic.c;
  console.log(
    `(c) 15% level shift caught as decay: ${c.defaultMinDays.caught}/${c.defaultMinDays.runs}, median day ${c.defaultMinDays.medianDay}, last ${c.defaultMinDays.maxDay} (default ${RULE.minDays}-day minimum); ${c.minDays7.caught}/${c.minDays7.runs}, median day ${c.minDays7.medianDay}, last ${c.minDays7.maxDay} with --min-comparison-days 7`,
  );
  console.log(`(d) stationary year: decay alarms in ${alarms}/${seeds} runs`);
  console.log(
    "(b') the (e) rules' protocols, a year of monthly checks: runs with a promotion (at the first check)",
  );
  for (const p of ruleProtocols)
    console.log(
      `    ${p.protocol}: equal quality ${p.equal.promoted}/${p.equal.runs} (${p.equal.atFirstCheck}); 3% better ${p.better3.promoted}/${p.better3.runs} (${p.better3.atFirstCheck})`,
    );
  for (const y of real ?? []) {
    const names = y.rules.map((r) => r.rule);
    console.log(
      `(e) ${y.year} (first champion trained on ${y.trainedFrom}-${y.year - 1}, ${y.modelsTrained} models): RMSE (model in force)`,
    );
    console.log(`    month  rows  frozen  refresh  ${names.join('  ')}`);
    for (const m of y.months)
      console.log(
        `      ${String(m.month).padStart(2)}  ${String(m.rows).padStart(4)}  ${m.frozen.toFixed(1).padStart(6)}  ${m.refresh.toFixed(1).padStart(7)}  ${y.rules.map((r) => `${r.months[m.month - 1].rmse.toFixed(1)} (${r.months[m.month - 1].model})`.padStart(r.rule.length)).join('  ')}`,
      );
    console.log(`      year: frozen ${y.rmse.frozen}, refresh ${y.rmse.refresh}; better: ${y.better}`);
    for (const r of y.rules) {
      console.log(
        `      ${r.rule}: ${r.rmse}, ${r.gapPercent}% vs ${y.better}, worst month ${r.worstMonthGapPercent}%${r.met ? ' (met)' : ''}`,
      );
      for (const d of r.decisions) console.log(`        ${d}`);
    }
  }
  console.log(`met: ${JSON.stringify(met)}`);
}

main();
