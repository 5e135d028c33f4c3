/**
 * The training data's distribution, kept beside a model so later batches can be checked for drift (see psi.ts).
 * Pure and JSON-serialisable: infinite bin ends are implicit, never stored.
 */
import { z } from 'zod';
import { DEFAULT_CATEGORY_MERGE, holidayFlag } from '../features/features';
import type { TrafficRow } from '../contracts/domain';

export const REFERENCE_PROFILE_VERSION = 1;
export const NUMERIC_PROFILE_FEATURES = ['temp', 'rain_1h', 'snow_1h', 'clouds_all', 'hour'] as const;
export const CATEGORICAL_PROFILE_FEATURES = ['weather_main', 'holiday'] as const;
export type NumericProfileFeature = (typeof NUMERIC_PROFILE_FEATURES)[number];
export type CategoricalProfileFeature = (typeof CATEGORICAL_PROFILE_FEATURES)[number];

export const MAX_BINS = 10;
/** A bin holds at least this share of the training rows (unless one value alone is larger), so bins stay meaningful. */
export const MIN_BIN_SHARE = 0.05;

/**
 * Bins are right-closed: (-∞, e0], (e0, e1], …, (e_last, +∞). Right-closed because the heavy ties sit at the
 * minimum (rain_1h and snow_1h are mostly exactly 0): the first bin is then exactly "the value 0".
 */
export interface NumericFeatureProfile {
  feature: NumericProfileFeature;
  kind: 'numeric';
  edges: number[];
  /** Share of training rows per bin; `edges.length + 1` entries. */
  proportions: number[];
  bins: string[];
  /** Per calendar month, months without rows left out. Absent in profiles stored before it was recorded. */
  byMonth?: MonthProportions[];
}

export interface CategoricalFeatureProfile {
  feature: CategoricalProfileFeature;
  kind: 'categorical';
  categories: string[];
  proportions: number[];
  /** True when every value maps to a listed category (holiday); otherwise unseen values go to an "other" bin. */
  closed: boolean;
  /** Per calendar month, months without rows left out. Absent in profiles stored before it was recorded. */
  byMonth?: MonthProportions[];
}

export type FeatureProfile = NumericFeatureProfile | CategoricalFeatureProfile;

/**
 * A feature's bin shares among the training rows of one calendar month (all years together), so a batch of
 * some months can be compared with the same months of the reference (psi.ts).
 */
export interface MonthProportions {
  /** 1–12. */
  month: number;
  /** Rows of that month counted for the feature (for a numeric feature, those with a finite value). */
  rows: number;
  /** Same bins as the feature's `proportions`. */
  proportions: number[];
}

export interface ReferenceProfile {
  kind: 'traffic-reference-profile';
  version: number;
  rows: number;
  features: FeatureProfile[];
}

export interface BuildReferenceProfileInput {
  rows: readonly TrafficRow[];
}

export function numericValue(row: TrafficRow, feature: NumericProfileFeature): number {
  return feature === 'hour' ? row.date_time.hour : row[feature];
}

/**
 * The real data names the holiday only on its 00:00 row ("None" elsewhere), so this is a per-row flag, not a
 * per-day one; the profile and the new batch are compared on the same footing, which is all PSI needs.
 */
export function categoryOf(row: TrafficRow, feature: CategoricalProfileFeature): string {
  if (feature === 'holiday') return holidayFlag(row.holiday) ? 'holiday' : 'none';
  // The model merges these rare weather values (features.ts); drift is measured on what the model sees.
  const w = row.weather_main;
  return Object.prototype.hasOwnProperty.call(DEFAULT_CATEGORY_MERGE, w) ? DEFAULT_CATEGORY_MERGE[w] : w;
}

/**
 * Quantile edges over sorted values that keep tie groups whole. Each bin takes about (rows left / bins left)
 * rows, at least MIN_BIN_SHARE of all rows; a remainder smaller than that joins the last bin. For rain_1h this
 * gives "exactly 0" plus one or two bins of real rain instead of nine identical edges at 0.
 */
export function quantileEdges(
  sorted: readonly number[],
  maxBins = MAX_BINS,
  minShare = MIN_BIN_SHARE,
): number[] {
  const n = sorted.length;
  if (n === 0) return [];
  const minCount = Math.max(1, Math.ceil(minShare * n));
  const edges: number[] = [];
  let i = 0;
  let binsLeft = maxBins;
  while (binsLeft > 1) {
    const target = Math.max((n - i) / binsLeft, minCount);
    let j = i;
    while (j < n && j - i < target) {
      const v = sorted[j];
      while (j < n && sorted[j] === v) j++;
    }
    if (j >= n || n - j < minCount) {
      // Never collapse to a single bin: snow_1h keeps "0" apart from its few snowy rows, and a constant feature
      // gets an empty "(v, +∞)" bin, so a later change still shows up.
      if (edges.length === 0) edges.push(sorted[j - 1]);
      break;
    }
    edges.push(sorted[j - 1]);
    i = j;
    binsLeft--;
  }
  return edges;
}

/** Index of the right-closed bin holding `x`. */
export function binIndex(edges: readonly number[], x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x <= edges[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function formatEdge(x: number): string {
  return String(Number(x.toPrecision(6)));
}

export function binLabels(edges: readonly number[]): string[] {
  const labels = [`≤ ${formatEdge(edges[0])}`];
  for (let k = 1; k < edges.length; k++)
    labels.push(`(${formatEdge(edges[k - 1])}, ${formatEdge(edges[k])}]`);
  labels.push(`> ${formatEdge(edges[edges.length - 1])}`);
  return labels;
}

/** Proportions of finite values per bin; all zeros when there are none. */
export function binProportions(edges: readonly number[], values: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  let total = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    counts[binIndex(edges, v)]++;
    total++;
  }
  return counts.map((c) => (total === 0 ? 0 : c / total));
}

/** The rows of each calendar month present, in month order. */
function rowsByMonth(rows: readonly TrafficRow[]): [number, TrafficRow[]][] {
  const months = new Map<number, TrafficRow[]>();
  for (const row of rows) {
    const m = row.date_time.month;
    const list = months.get(m);
    if (list) list.push(row);
    else months.set(m, [row]);
  }
  return [...months.entries()].sort((a, b) => a[0] - b[0]);
}

function numericProfile(feature: NumericProfileFeature, rows: readonly TrafficRow[]): NumericFeatureProfile {
  const finiteValues = (of: readonly TrafficRow[]) =>
    of.map((r) => numericValue(r, feature)).filter(Number.isFinite);
  const values = finiteValues(rows);
  const sorted = Float64Array.from(values).sort();
  const edges = quantileEdges(Array.from(sorted));
  const byMonth: MonthProportions[] = [];
  for (const [month, monthRows] of rowsByMonth(rows)) {
    const monthValues = finiteValues(monthRows);
    if (monthValues.length > 0)
      byMonth.push({ month, rows: monthValues.length, proportions: binProportions(edges, monthValues) });
  }
  return {
    feature,
    kind: 'numeric',
    edges,
    proportions: binProportions(edges, values),
    bins: binLabels(edges),
    byMonth,
  };
}

/** Python-like code-point order, as features.ts sorts categories. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function categoricalProfile(
  feature: CategoricalProfileFeature,
  rows: readonly TrafficRow[],
): CategoricalFeatureProfile {
  const counts = new Map<string, number>(
    feature === 'holiday'
      ? [
          ['holiday', 0],
          ['none', 0],
        ]
      : [],
  );
  for (const row of rows) {
    const c = categoryOf(row, feature);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  const categories = [...counts.keys()].sort(compareText);
  return {
    feature,
    kind: 'categorical',
    categories,
    proportions: categoryShares(feature, categories, rows),
    closed: feature === 'holiday',
    byMonth: rowsByMonth(rows).map(([month, monthRows]) => ({
      month,
      rows: monthRows.length,
      proportions: categoryShares(feature, categories, monthRows),
    })),
  };
}

/** Share of `rows` in each of `categories` (which must hold every category the rows have). */
function categoryShares(
  feature: CategoricalProfileFeature,
  categories: readonly string[],
  rows: readonly TrafficRow[],
): number[] {
  const index = new Map(categories.map((c, i) => [c, i]));
  const counts = new Array<number>(categories.length).fill(0);
  for (const row of rows) counts[index.get(categoryOf(row, feature)) as number]++;
  return counts.map((c) => c / rows.length);
}

export function buildReferenceProfile(input: BuildReferenceProfileInput): ReferenceProfile {
  const { rows } = input;
  if (rows.length === 0) throw new Error('cannot build a reference profile from zero rows');
  return {
    kind: 'traffic-reference-profile',
    version: REFERENCE_PROFILE_VERSION,
    rows: rows.length,
    features: [
      ...NUMERIC_PROFILE_FEATURES.map((f) => numericProfile(f, rows)),
      ...CATEGORICAL_PROFILE_FEATURES.map((f) => categoricalProfile(f, rows)),
    ],
  };
}

const proportion = z.number().min(0).max(1);
const sumsToOne = (p: number[]) => p.length > 0 && Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-6;

const byMonthSchema = z.array(
  z.object({
    month: z.number().int().min(1).max(12),
    rows: z.number().int().positive(),
    proportions: z.array(proportion),
  }),
);

/** byMonth must use the feature's bins, name each month once, and hold shares that sum to 1. */
function checkByMonth(
  f: { proportions: number[]; byMonth?: MonthProportions[] },
  ctx: z.RefinementCtx,
): void {
  if (!f.byMonth) return;
  const seen = new Set<number>();
  f.byMonth.forEach((m, i) => {
    const path = ['byMonth', i];
    if (seen.has(m.month)) ctx.addIssue({ code: 'custom', path, message: `month ${m.month} appears twice` });
    seen.add(m.month);
    if (m.proportions.length !== f.proportions.length)
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'proportions'],
        message: `month ${m.month} has ${m.proportions.length} proportions but the feature has ${f.proportions.length} bins`,
      });
    else if (!sumsToOne(m.proportions))
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'proportions'],
        message: `month ${m.month}: proportions must sum to 1`,
      });
  });
}

const numericSchema = z
  .object({
    feature: z.enum(NUMERIC_PROFILE_FEATURES),
    kind: z.literal('numeric'),
    edges: z.array(z.number()).min(1),
    proportions: z.array(proportion),
    bins: z.array(z.string()),
    byMonth: byMonthSchema.optional(),
  })
  .refine((f) => f.edges.every((e, i) => i === 0 || e > f.edges[i - 1]), {
    message: 'edges must increase strictly',
  })
  .refine((f) => f.proportions.length === f.edges.length + 1 && f.bins.length === f.proportions.length, {
    message: 'needs one proportion and one label per bin (edges + 1)',
  })
  .refine((f) => sumsToOne(f.proportions), { message: 'proportions must sum to 1' })
  .superRefine(checkByMonth);

const categoricalSchema = z
  .object({
    feature: z.enum(CATEGORICAL_PROFILE_FEATURES),
    kind: z.literal('categorical'),
    categories: z.array(z.string()).min(1),
    proportions: z.array(proportion),
    closed: z.boolean(),
    byMonth: byMonthSchema.optional(),
  })
  .refine((f) => f.proportions.length === f.categories.length, {
    message: 'needs one proportion per category',
  })
  .refine((f) => new Set(f.categories).size === f.categories.length, { message: 'categories must be unique' })
  .refine((f) => sumsToOne(f.proportions), { message: 'proportions must sum to 1' })
  .superRefine(checkByMonth);

// byMonth is optional so that profiles stored before it still load (and are compared on whole years).
const profileSchema = z
  .object({
    kind: z.literal('traffic-reference-profile'),
    version: z.literal(REFERENCE_PROFILE_VERSION),
    rows: z.number().int().positive(),
    features: z.array(z.union([numericSchema, categoricalSchema])).min(1),
  })
  .superRefine((p, ctx) => {
    const withMonths = p.features.filter((f) => f.byMonth !== undefined).length;
    if (withMonths !== 0 && withMonths !== p.features.length)
      ctx.addIssue({
        code: 'custom',
        path: ['features'],
        message: 'byMonth must be on every feature or on none',
      });
    p.features.forEach((f, i) => {
      const monthRows = (f.byMonth ?? []).reduce((n, m) => n + m.rows, 0);
      if (monthRows > p.rows)
        ctx.addIssue({
          code: 'custom',
          path: ['features', i, 'byMonth'],
          message: `months hold ${monthRows} rows, more than the profile's ${p.rows}`,
        });
    });
  });

export function validateReferenceProfile(json: unknown): ReferenceProfile {
  const parsed = profileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new Error(`invalid reference profile: ${problems}`);
  }
  return parsed.data;
}
