import { comparePaired, type PairedComparison } from '../evaluation/model-comparison';
import type { TrafficRow } from '../contracts/domain';
import type { ModelVersion } from '../registry/model-registry';
import type { EvidenceSettings, ModelComparison } from '../contracts';
import { scoreWithVersion, type ScoreDeps } from './score-version';

/** A model as it takes part in a comparison: what scores rows, and the latest row it was fitted on. */
export interface Contender {
  version: number;
  model: ModelVersion;
  trainedThrough: string;
}

/**
 * The latest row a version was fitted on. Records from before issue 16 do not say: a refitted one was fitted
 * through its validation year, any other one through the year before it (training years precede validation).
 */
export function trainedThroughOf(v: ModelVersion): string {
  if (v.trainedThrough !== undefined) return v.trainedThrough;
  return `${v.refit ? v.validationYear : v.validationYear - 1}-12-31 23:59:59`;
}

/** A version as it serves (the refitted model, if refitted). */
export function served(v: ModelVersion): Contender {
  return { version: v.version, model: v, trainedThrough: trainedThroughOf(v) };
}

/** A version as selected, before any refit: it never saw its own selection period. */
export function asSelected(v: ModelVersion): Contender {
  if (!v.selected) return served(v);
  const { modelRef, modelFormat, engine, rounds, trainedThrough } = v.selected;
  return { version: v.version, model: { ...v, modelRef, modelFormat, engine, rounds }, trainedThrough };
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** The paired comparison as a decision record: NaN (no rows, too few days) becomes null so it survives JSON. */
export function comparisonRecord(
  c: PairedComparison,
  championVersion: number,
  challengerVersion: number,
  evidence: EvidenceSettings,
): ModelComparison {
  const decision = c.verdict === 'better' ? 'promoted' : c.verdict === 'not-better' ? 'kept' : 'deferred';
  // Before registration the candidate has no version number yet (0).
  const candidate = challengerVersion === 0 ? 'the candidate' : `v${challengerVersion}`;
  const who =
    decision === 'promoted'
      ? `${candidate} promoted over champion v${championVersion}`
      : decision === 'kept'
        ? `champion v${championVersion} kept over ${candidate}`
        : `decision between champion v${championVersion} and ${candidate} deferred`;
  const window = c.rows === 0 ? 'no rows' : `rows ${c.from} … ${c.to}`;
  return {
    from: c.from,
    to: c.to,
    rows: c.rows,
    days: c.days,
    champion: { version: championVersion, rmse: finite(c.championRmse) },
    challenger: { version: challengerVersion, rmse: finite(c.challengerRmse) },
    difference: {
      estimate: finite(c.difference.estimate),
      low: finite(c.difference.low),
      high: finite(c.difference.high),
    },
    decision,
    reason: `${who} (${window}, min ${evidence.minComparisonDays} days, ${evidence.promotionConfidence * 100}% interval): ${c.reason}`,
  };
}

/**
 * Compares two models on the labelled rows dated after both were fitted (no row either has seen), each scored
 * through its own stored pipeline, and applies the evidence rule.
 */
export async function compareContenders(
  deps: ScoreDeps,
  champion: Contender,
  challenger: Contender,
  rows: readonly TrafficRow[],
  evidence: EvidenceSettings,
): Promise<ModelComparison> {
  const after =
    champion.trainedThrough > challenger.trainedThrough ? champion.trainedThrough : challenger.trainedThrough;
  const unseen = rows.filter((r) => r.traffic_volume !== undefined && r.date_time.text > after);
  const rule = { minDays: evidence.minComparisonDays, confidence: evidence.promotionConfidence };
  if (unseen.length === 0) {
    return comparisonRecord(comparePaired([], rule), champion.version, challenger.version, evidence);
  }
  const championPredictions = await scoreWithVersion(deps, champion.model, unseen);
  const challengerPredictions = await scoreWithVersion(deps, challenger.model, unseen);
  const paired = unseen.map((r, i) => ({
    dateTime: r.date_time.text,
    actual: r.traffic_volume as number,
    champion: championPredictions[i],
    challenger: challengerPredictions[i],
  }));
  return comparisonRecord(comparePaired(paired, rule), champion.version, challenger.version, evidence);
}
