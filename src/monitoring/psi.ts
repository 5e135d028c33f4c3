/**
 * Population Stability Index of a new batch of rows against a model's reference profile.
 * Conventional reading: < 0.1 stable, 0.1–0.2 moderate shift, > 0.2 significant shift.
 */
import type { TrafficRow } from '../contracts/domain';
import {
  binProportions,
  categoryOf,
  numericValue,
  type FeatureProfile,
  type ReferenceProfile,
} from './reference-profile';
import { monthCounts, seasonMatchedProportions } from './season-matched';

export const DEFAULT_PSI_THRESHOLD = 0.2;
export const OTHER_CATEGORY = 'other';

/**
 * Below this many rows the report is flagged `smallSample`. PSI is biased upward for small batches: with n rows
 * and B bins, sampling noise alone gives PSI ≈ (B − 1)/n on identical distributions (it behaves like χ²/n),
 * e.g. 0.09 for 10 bins and 100 rows. Worse, a bin the batch happens to miss is floored at epsilon and adds
 * about p·ln(p/ε) — 0.69 for a 10 % bin — so one day of hourly data can look "drifted" on every feature.
 */
export const SMALL_SAMPLE_ROWS = 500;

export interface FeatureDrift {
  feature: string;
  kind: 'numeric' | 'categorical';
  psi: number;
  drifted: boolean;
  /** The reference's proportions the PSI compared with: season-matched ones when the report says so. */
  expected: number[];
  actual: number[];
  bins: string[];
}

export interface DriftReport {
  threshold: number;
  rows: number;
  features: FeatureDrift[];
  maxPsi: number;
  /** Features whose PSI exceeds the threshold, worst first. */
  drifted: string[];
  smallSample: boolean;
  /**
   * True when `expected` is the reference's for the batch's own calendar months (season-matched.ts), false when it
   * is the whole training data's (a profile stored without per-month shares). Absent in reports stored before.
   */
  seasonMatched?: boolean;
}

/**
 * PSI = Σ (aᵢ − eᵢ)·ln(aᵢ / eᵢ) over bins of proportions. Proportions below `epsilon` are raised to it, since an
 * empty bin would otherwise make the logarithm infinite; the cap this puts on one empty bin's term is
 * about p·ln(p/ε), so a smaller epsilon punishes empty bins harder.
 */
export function psi(expected: readonly number[], actual: readonly number[], epsilon = 1e-4): number {
  if (expected.length !== actual.length) {
    throw new Error(`psi: expected has ${expected.length} bins but actual has ${actual.length}`);
  }
  let total = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i], epsilon);
    const a = Math.max(actual[i], epsilon);
    total += (a - e) * Math.log(a / e);
  }
  return total;
}

export interface ComputeDriftInput {
  profile: ReferenceProfile;
  rows: readonly TrafficRow[];
  threshold?: number;
  /** Rows below which `smallSample` is set. */
  minRows?: number;
}

/** The reference's proportions for the months of `rows` when the profile has them, else its overall ones. */
function expectedProportions(feature: FeatureProfile, rows: readonly TrafficRow[]): number[] {
  if (!feature.byMonth) return feature.proportions;
  return seasonMatchedProportions(feature.proportions, feature.byMonth, monthCounts(rows));
}

function actualBins(
  feature: FeatureProfile,
  rows: readonly TrafficRow[],
): Omit<FeatureDrift, 'psi' | 'drifted'> {
  if (feature.kind === 'numeric') {
    const counted = rows.filter((r) => Number.isFinite(numericValue(r, feature.feature)));
    return {
      feature: feature.feature,
      kind: 'numeric',
      expected: expectedProportions(feature, counted),
      actual: binProportions(
        feature.edges,
        counted.map((r) => numericValue(r, feature.feature)),
      ),
      bins: feature.bins,
    };
  }
  const index = new Map(feature.categories.map((c, i) => [c, i]));
  const bins = feature.closed ? [...feature.categories] : [...feature.categories, OTHER_CATEGORY];
  const counts = new Array<number>(bins.length).fill(0);
  for (const row of rows) {
    const i = index.get(categoryOf(row, feature.feature));
    if (i !== undefined) counts[i]++;
    else if (!feature.closed) counts[bins.length - 1]++;
  }
  // The reference saw no unseen category by definition: its "other" share is 0 (floored to epsilon by psi()).
  const reference = expectedProportions(feature, rows);
  const expected = feature.closed ? reference : [...reference, 0];
  return {
    feature: feature.feature,
    kind: 'categorical',
    expected,
    actual: counts.map((c) => (rows.length === 0 ? 0 : c / rows.length)),
    bins,
  };
}

/** An empty batch carries no evidence of drift: every PSI is reported as 0 (and `smallSample` is set). */
export function computeDrift(input: ComputeDriftInput): DriftReport {
  const { profile, rows, threshold = DEFAULT_PSI_THRESHOLD, minRows = SMALL_SAMPLE_ROWS } = input;
  const features = profile.features.map((f): FeatureDrift => {
    const binned = actualBins(f, rows);
    const value = rows.length === 0 ? 0 : psi(binned.expected, binned.actual);
    return { ...binned, psi: value, drifted: value > threshold };
  });
  const drifted = features
    .filter((f) => f.drifted)
    .sort((a, b) => b.psi - a.psi)
    .map((f) => f.feature);
  return {
    threshold,
    rows: rows.length,
    features,
    maxPsi: features.reduce((m, f) => Math.max(m, f.psi), 0),
    drifted,
    smallSample: rows.length < minRows,
    seasonMatched: profile.features.every((f) => f.byMonth !== undefined),
  };
}
