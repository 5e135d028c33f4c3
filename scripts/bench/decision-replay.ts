/**
 * Issue 16 part 8(e): the retraining loop replayed on the real data, a year arriving month by month, under
 * several promotion rules, against two simple policies with the same training (frozen, refresh).
 *
 * Every model is the same recipe (the project's parse, de-duplication, default v2 feature pipeline and native
 * XGBoost engine with ONE fixed parameter setting, no search) trained on every row before a cutoff; a model is
 * named by its cutoff. Every promotion is decided by `comparePaired` on rows that neither compared model was
 * fitted on; the rules differ in which rows and models make the evidence and which model is then promoted.
 */
import { loadNativeEngine } from '../../src/engines/native-engine';
import { DEFAULT_FEATURE_SET, fitPipeline, transformWithPipeline } from '../../src/features/feature-pipeline';
import { targetVector } from '../../src/features/features';
import { rmse } from '../../src/evaluation/metrics';
import { comparePaired, type EvidenceRule, type PairedRow } from '../../src/evaluation/model-comparison';
import type { TrafficRow, XGBoostParams } from '../../src/contracts/domain';
import { progress, round } from './stats';

/** One fixed setting for (e), chosen a priori (no search, nothing looked up on any year). */
export const REPLAY_PARAMS: XGBoostParams = {
  n_estimators: 120,
  max_depth: 7,
  learning_rate: 0.1,
  gamma: 0,
  reg_alpha: 0,
  reg_lambda: 1,
  subsample: 0.8,
  colsample_bytree: 0.8,
  min_child_weight: 1,
  seed: 7,
};

export const RULES = {
  selected:
    'the standing challenger (trained through the month before) is promoted when it wins on the rows after ' +
    'both; the candidate as selected (trained before the year) is compared at registration',
  'newest-refit':
    'as selected, but when the standing challenger wins, the newest refit of its recipe (trained through ' +
    'the latest month) is promoted instead of the month-old challenger',
  'half-month-probe':
    'newest-refit, and each check also fits the recipe through the 14th of the newest month and compares it ' +
    'with the champion on the rest of that month; when it wins, the newest refit is promoted',
  'recipe-record':
    "the recipe's one-month-ahead record since the champion: each month j after the champion's data " +
    'predicted by the refit through month j - 1 against the champion; when it wins, the newest refit is promoted',
  'refresh-record-12':
    "the refresh policy's one-month-ahead record over the last 12 months: each month predicted by the refit " +
    'through the month before against the model fitted through the year before that month (the frozen ' +
    'policy); when refreshing wins, the newest refit is promoted',
  'refresh-record':
    'the same record over every month of history (all labelled rows since the first data): when refreshing ' +
    'wins, the newest refit is promoted',
} as const;
export type RuleName = keyof typeof RULES;

export interface PolicyResult {
  rule: RuleName;
  rmse: number;
  /** RMSE over the better simple policy's, minus 1, in %. */
  gapPercent: number;
  /** Worst month: RMSE over the better policy's that month, minus 1, in %. */
  worstMonthGapPercent: number;
  met: boolean;
  /** Per month 1..12: the RMSE served and the model in force (k: trained through month k of the year). */
  months: { month: number; rmse: number; model: number }[];
  decisions: string[];
}

export interface YearReplay {
  year: number;
  trainedFrom: number;
  modelsTrained: number;
  months: { month: number; rows: number; frozen: number; refresh: number }[];
  rmse: { frozen: number; refresh: number };
  better: 'frozen' | 'refresh';
  rules: PolicyResult[];
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Predictions of the recipe trained on every row before a cutoff, on the frame's rows; trained once each. */
class RecipeModels {
  /** By the number of rows before the cutoff: two cutoffs with the same rows before them are one model. */
  private readonly cache = new Map<number, Float64Array | null>();
  private readonly counts = new Map<string, number>();
  private readonly engine = loadNativeEngine();
  constructor(
    private readonly all: readonly TrafficRow[],
    private readonly frame: readonly TrafficRow[],
    private readonly year: number,
  ) {}

  get trained(): number {
    return [...this.cache.values()].filter((p) => p !== null).length;
  }

  /** The rows a model with this cutoff is fitted on. */
  fittedRows(cutoff: string): number {
    let n = this.counts.get(cutoff);
    if (n === undefined) {
      n = this.all.filter((r) => r.date_time.text < cutoff).length;
      this.counts.set(cutoff, n);
    }
    return n;
  }

  /** undefined when no row precedes the cutoff. */
  predictions(cutoff: string): Float64Array | undefined {
    const key = this.fittedRows(cutoff);
    if (!this.cache.has(key)) {
      const train = this.all.filter((r) => r.date_time.text < cutoff);
      if (train.length === 0) {
        this.cache.set(key, null);
      } else {
        progress(`${this.year}: training on the ${train.length} rows before ${cutoff}`);
        const pipeline = fitPipeline({ features: DEFAULT_FEATURE_SET, rows: train });
        const model = this.engine.train({
          train: transformWithPipeline(pipeline, train).matrix,
          trainLabels: targetVector(train),
          params: REPLAY_PARAMS,
          nthread: 2,
        });
        this.cache.set(
          key,
          Float64Array.from(model.predict(transformWithPipeline(pipeline, [...this.frame]).matrix)),
        );
        model.free();
      }
    }
    return this.cache.get(key) ?? undefined;
  }
}

/** Replays `year` (every row of `all` before it is history) under every rule in RULES. */
export function replayYear(all: readonly TrafficRow[], year: number, rule: EvidenceRule): YearReplay {
  const known = all.filter((r) => r.date_time.year <= year);
  // Months are counted from the year's start: 1..12 the year, 0 the December before, -11 the January before.
  const monthIndex = (r: TrafficRow) => (r.date_time.year - year) * 12 + r.date_time.month;
  const frame = known;
  const models = new RecipeModels(known, frame, year);
  const actual = frame.map((r) => r.traffic_volume as number);
  const month = frame.map(monthIndex);
  const firstMonth = Math.min(...known.map(monthIndex));
  /** Cutoff of the model trained through month k: the first instant of month k + 1. */
  const through = (k: number) =>
    `${year + Math.floor(k / 12)}-${pad((((k % 12) + 12) % 12) + 1)}-01 00:00:00`;
  const midMonth = (m: number) =>
    `${year + Math.floor((m - 1) / 12)}-${pad(((((m - 1) % 12) + 12) % 12) + 1)}-15 00:00:00`;
  const mustPredict = (cutoff: string) => {
    const p = models.predictions(cutoff);
    if (!p) throw new Error(`no rows before ${cutoff} to train on`);
    return p;
  };
  const indices = (keep: (i: number) => boolean) => frame.flatMap((_, i) => (keep(i) ? [i] : []));
  const paired = (rows: number[], champion: string, challenger: string): PairedRow[] => {
    const a = mustPredict(champion);
    const b = mustPredict(challenger);
    return rows.map((i) => ({
      dateTime: frame[i].date_time.text,
      actual: actual[i],
      champion: a[i],
      challenger: b[i],
    }));
  };
  /** Rows arrived by the check after month m and dated at or after the cutoff. */
  const arrivedAfter = (cutoff: string, m: number) =>
    indices((i) => month[i] <= m && frame[i].date_time.text >= cutoff);

  function runRule(name: RuleName): { servedBy: number[]; decisions: string[] } {
    let champion = 0;
    let challenger: number | undefined;
    const servedBy: number[] = [];
    const decisions: string[] = [];
    const promoteNewest = (m: number, why: string) => {
      decisions.push(`after month ${m}: ${why}; promoted the refit through month ${m}`);
      champion = m;
    };
    for (let m = 1; m <= 12; m++) {
      servedBy.push(champion);
      if (m === 12) break;
      if (name === 'recipe-record' || name === 'refresh-record-12' || name === 'refresh-record') {
        const rows: PairedRow[] = [];
        const from =
          name === 'recipe-record' ? champion + 2 : name === 'refresh-record-12' ? m - 11 : firstMonth + 1;
        for (let j = Math.max(from, firstMonth + 1); j <= m; j++) {
          const base =
            name === 'recipe-record'
              ? through(champion)
              : through(Math.max(12 * Math.floor((j - 1) / 12), firstMonth));
          const refit = through(j - 1);
          if (models.fittedRows(refit) === models.fittedRows(base)) continue;
          rows.push(
            ...paired(
              indices((i) => month[i] === j),
              base,
              refit,
            ),
          );
        }
        const c = rows.length > 0 ? comparePaired(rows, rule) : undefined;
        const against = name === 'recipe-record' ? 'the champion' : "the year's model";
        if (c?.verdict === 'better')
          promoteNewest(
            m,
            `record of refits one month ahead (challenger) against ${against} (champion), ${c.from.slice(0, 7)} to ${c.to.slice(0, 7)}: ${c.reason}`,
          );
        continue;
      }
      // 1) The standing challenger, on the rows after both models' training data.
      if (challenger !== undefined) {
        const c = comparePaired(
          paired(
            arrivedAfter(through(Math.max(champion, challenger)), m),
            through(champion),
            through(challenger),
          ),
          rule,
        );
        if (c.verdict === 'better') {
          if (name === 'selected') {
            decisions.push(
              `after month ${m}: challenger (through month ${challenger}) promoted: ${c.reason}`,
            );
            champion = challenger;
          } else promoteNewest(m, `challenger (through month ${challenger}) won: ${c.reason}`);
        }
      }
      // 1b) A probe of the recipe fitted through the 14th, on the rest of the month.
      if (name === 'half-month-probe' && champion !== m) {
        const probe = midMonth(m);
        const c = comparePaired(paired(arrivedAfter(probe, m), through(champion), probe), rule);
        if (c.verdict === 'better')
          promoteNewest(m, `probe (through the 14th of month ${m}) won: ${c.reason}`);
      }
      // 2) The month's candidate, as selected before its refit: validated on the year's months so far, trained
      //    on the years before (the same rows and setting as the first champion, model 0).
      if (champion !== m) {
        const window = arrivedAfter(through(champion), m);
        const c =
          window.length > 0 ? comparePaired(paired(window, through(champion), through(0)), rule) : undefined;
        if (c?.verdict === 'better') {
          decisions.push(`after month ${m}: candidate (through month ${m}) promoted at registration`);
          champion = m;
        }
      }
      // The month's candidate replaces any challenger (it is the champion itself when promoted above).
      challenger = champion === m ? undefined : m;
    }
    return { servedBy, decisions };
  }

  const monthRows = Array.from({ length: 12 }, (_, k) => indices((i) => month[i] === k + 1));
  const servedRmse = (model: (m: number) => number) => {
    const perMonth = monthRows.map((idx, k) => {
      const p = mustPredict(through(model(k + 1)));
      return rmse(
        idx.map((i) => actual[i]),
        idx.map((i) => p[i]),
      );
    });
    const all = monthRows.flat();
    const byRow = new Map<number, number>();
    monthRows.forEach((idx, k) => {
      const p = mustPredict(through(model(k + 1)));
      for (const i of idx) byRow.set(i, p[i]);
    });
    const year = rmse(
      all.map((i) => actual[i]),
      all.map((i) => byRow.get(i) as number),
    );
    return { perMonth, year };
  };
  const frozen = servedRmse(() => 0);
  const refresh = servedRmse((m) => m - 1);
  const better = refresh.year < frozen.year ? 'refresh' : 'frozen';
  const best = better === 'refresh' ? refresh : frozen;
  const rules = (Object.keys(RULES) as RuleName[]).map((name): PolicyResult => {
    progress(`${year}: rule ${name}`);
    const { servedBy, decisions } = runRule(name);
    const served = servedRmse((m) => servedBy[m - 1]);
    const gapPercent = round((served.year / best.year - 1) * 100, 2);
    const worstMonthGapPercent = round(
      Math.max(...served.perMonth.map((r, k) => (r / best.perMonth[k] - 1) * 100)),
      2,
    );
    return {
      rule: name,
      rmse: round(served.year),
      gapPercent,
      worstMonthGapPercent,
      met: gapPercent <= 1 && worstMonthGapPercent <= 5,
      months: served.perMonth.map((r, k) => ({ month: k + 1, rmse: round(r), model: servedBy[k] })),
      decisions,
    };
  });
  return {
    year,
    trainedFrom: Math.min(...known.map((r) => r.date_time.year)),
    modelsTrained: models.trained,
    months: monthRows.map((idx, k) => ({
      month: k + 1,
      rows: idx.length,
      frozen: round(frozen.perMonth[k]),
      refresh: round(refresh.perMonth[k]),
    })),
    rmse: { frozen: round(frozen.year), refresh: round(refresh.year) },
    better,
    rules,
  };
}
