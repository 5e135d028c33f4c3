import { Context } from '@temporalio/activity';
import { DatasetError, parseTrafficCsv } from '../ml/traffic-csv';
import { regressionMetrics } from '../ml/metrics';
import type { TrialPool } from '../ml/trial-pool';
import type { TrafficRow } from '../ml/types';
import { readLoggedRows } from '../monitoring/prediction-log-reader';
import { DEFAULT_INTERVAL_LEVEL, intervalCoverage } from '../ml/prediction-interval';
import { intervalsForVersion } from './version-intervals';
import { computeDrift } from '../monitoring/psi';
import { validateReferenceProfile } from '../monitoring/reference-profile';
import type { ModelRegistry } from '../registry/model-registry';
import type { BlobStore } from '../storage/blob-store';
import type { AssessDriftInput, DriftSummary } from '../workflows/types';
import { artifactKeys } from './artifact-keys';
import { dataUriHash } from './data-state';
import { scoreWithVersion } from './score-version';

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
  const rows: TrafficRow[] = [];
  const unreadable: string[] = [];
  for (const key of input.keys) {
    Context.current().heartbeat({ step: 'reading', key });
    try {
      const text = (await store.get(key)).toString('utf8');
      rows.push(...parseTrafficCsv({ text, file: key, schema: input.schema }).rows);
    } catch (err) {
      // Monitoring reports a bad file; the training it may start fails on it with the full error.
      if (!(err instanceof DatasetError)) throw err;
      unreadable.push(err.message);
    }
  }
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
  if (labelled.length > 0) {
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
