import { Context } from '@temporalio/activity';
import { regressionMetrics } from '../evaluation/metrics';
import { assessDecay } from '../evaluation/model-comparison';
import { dedupeRows } from '../data/dedupe';
import type { TrialPool } from '../engines/trial-pool';
import type { TrafficRow } from '../contracts/domain';
import { readLoggedRows } from '../monitoring/prediction-log-reader';
import { DEFAULT_INTERVAL_LEVEL, intervalCoverage } from '../evaluation/prediction-interval';
import { intervalsForVersion } from './version-intervals';
import { computeDrift } from '../monitoring/psi';
import { validateReferenceProfile } from '../monitoring/reference-profile';
import type { ModelRegistry, ModelVersion } from '../registry/model-registry';
import type { BlobStore } from '../storage/blob-store';
import { readDataFiles } from './read-data-files';
import type { AssessDriftInput, DriftSummary, EvidenceSettings } from '../contracts';
import { artifactKeys } from './artifact-keys';
import { dataUriHash } from './data-state';
import { scoreWithVersion } from './score-version';
import { trainedThroughOf } from './champion-comparison';

export interface DriftDeps {
  artifacts: BlobStore;
  registry: ModelRegistry;
  pool: TrialPool;
  openDataStore(uri: string): BlobStore;
}

/**
 * The seed's monitoring step inside the loop: PSI of each feature of the new rows against the champion's
 * training profile, and the champion's RMSE on the new labelled rows against its validation RMSE.
 * Returns undefined when there is no champion yet (nothing to drift from).
 */
export async function assessDriftWith(
  deps: DriftDeps,
  input: AssessDriftInput,
): Promise<DriftSummary | undefined> {
  const alias = await deps.registry.getAlias(input.modelName, 'champion');
  if (!alias) return undefined;
  const champion = await deps.registry.resolve(input.modelName, alias.version);
  const profileRaw = await deps.artifacts.tryGet(artifactKeys.datasetProfile(champion.datasetHash));
  if (!profileRaw) return undefined;
  const profile = validateReferenceProfile(JSON.parse(profileRaw.toString('utf8')));

  const store = deps.openDataStore(input.dataUri);
  const files = input.objects ?? input.keys;
  const { rows, unreadable } = await readDataFiles({ artifacts: deps.artifacts, store }, files, input.schema);
  const logged =
    input.predictionLogDays === undefined
      ? undefined
      : await readLoggedRows(deps.artifacts, input.modelName, input.predictionLogDays, new Date());
  const report = computeDrift({ profile, rows: logged?.rows ?? rows, threshold: input.psiThreshold });
  const current = logged && {
    source: 'prediction-log' as const,
    days: input.predictionLogDays as number,
    files: logged.files,
    badLines: logged.badLineCount,
  };

  let decay: DriftSummary['decay'];
  const labelled = rows.filter((r) => r.traffic_volume !== undefined);
  if (input.evidence !== undefined) {
    decay = await decayAfterTraining(deps, champion, labelled, input.evidence, input.decayRatio ?? 1.25);
  } else if (labelled.length > 0) {
    // Checks started before the evidence rule: the plain ratio on every row, as they recorded it.
    Context.current().heartbeat({ step: 'scoring champion', rows: labelled.length });
    const predictions = await scoreWithVersion(deps, champion, labelled);
    const labels = Float64Array.from(labelled, (r) => r.traffic_volume as number);
    const rmse = regressionMetrics(labels, predictions).rmse;
    decay = { rmse, validationRmse: champion.metrics.rmse, ratio: rmse / champion.metrics.rmse };
    if (champion.intervalRef) {
      const level = DEFAULT_INTERVAL_LEVEL;
      const intervals = await intervalsForVersion(deps.artifacts, champion, labelled, predictions, level);
      decay.interval = { level, ...intervalCoverage(labels, intervals) };
    }
  }

  const reportRef = artifactKeys.checkReport(dataUriHash(input.dataUri), input.checkId);
  const fullReport = {
    checkId: input.checkId,
    dataUri: input.dataUri,
    keys: input.keys,
    unreadable,
    champion: { version: champion.version, datasetHash: champion.datasetHash },
    drift: report,
    decay,
    ...(logged ? { current, badLoggedLines: logged.badLines } : {}),
  };
  await deps.artifacts.put(reportRef, JSON.stringify(fullReport, null, 2));
  return {
    reportRef,
    championVersion: champion.version,
    rows: report.rows,
    maxPsi: report.maxPsi,
    drifted: report.drifted,
    smallSample: report.smallSample,
    seasonMatched: report.seasonMatched,
    unreadable,
    psi: Object.fromEntries(report.features.map((f) => [f.feature, Math.round(f.psi * 10000) / 10000])),
    decay,
    ...(current ? { current } : {}),
  };
}

/**
 * Decay judged only on labelled rows dated after the champion's trainedThrough (rows it was fitted on would
 * flatter it), against the RMSE expected of it: its backtest mean when recorded, else its validation RMSE.
 * Undefined when no such row exists.
 */
async function decayAfterTraining(
  deps: DriftDeps,
  champion: ModelVersion,
  labelled: readonly TrafficRow[],
  evidence: EvidenceSettings,
  decayRatio: number,
): Promise<DriftSummary['decay']> {
  const through = trainedThroughOf(champion);
  const unseen = dedupeRows(labelled.filter((r) => r.date_time.text > through));
  if (unseen.length === 0) return undefined;
  Context.current().heartbeat({ step: 'scoring champion', rows: unseen.length });
  const predictions = await scoreWithVersion(deps, champion, unseen);
  const expectedFrom = champion.backtest ? ('backtest' as const) : ('validation' as const);
  const expectedRmse = champion.backtest?.meanRmse ?? champion.metrics.rmse;
  const a = assessDecay(
    unseen.map((r, i) => ({
      dateTime: r.date_time.text,
      actual: r.traffic_volume as number,
      predicted: predictions[i],
    })),
    expectedRmse,
    { minDays: evidence.minComparisonDays, confidence: evidence.promotionConfidence, ratio: decayRatio },
  );
  const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);
  const interval = champion.intervalRef
    ? {
        level: DEFAULT_INTERVAL_LEVEL,
        ...intervalCoverage(
          Float64Array.from(unseen, (r) => r.traffic_volume as number),
          await intervalsForVersion(deps.artifacts, champion, unseen, predictions, DEFAULT_INTERVAL_LEVEL),
        ),
      }
    : undefined;
  return {
    rmse: a.rmse,
    validationRmse: champion.metrics.rmse,
    ratio: a.ratio.estimate,
    expectedRmse,
    expectedFrom,
    low: finite(a.ratio.low),
    high: finite(a.ratio.high),
    from: a.from,
    to: a.to,
    rows: a.rows,
    days: a.days,
    verdict: a.verdict,
    reason: `champion v${champion.version} on rows after its trainedThrough ${through}, expected RMSE from its ${expectedFrom}: ${a.reason}`,
    ...(interval ? { interval } : {}),
  };
}
