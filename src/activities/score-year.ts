import { Context } from '@temporalio/activity';
import { dedupeRows } from '../data/dedupe';
import { regressionMetrics } from '../evaluation/metrics';
import { DatasetError, parseTrafficCsv } from '../data/traffic-csv';
import type { TrialPool } from '../engines/trial-pool';
import type { ModelRegistry } from '../registry/model-registry';
import type { BlobStore } from '../storage/blob-store';
import type { ScoreYearInput, ScoreYearResult } from '../contracts';
import { nonRetryable } from './errors';
import { scoreWithVersion } from './score-version';
import { requestedIntervals } from './version-intervals';
import { intervalCoverage } from '../evaluation/prediction-interval';

export interface ScoreYearDeps {
  artifacts: BlobStore;
  registry: ModelRegistry;
  pool: TrialPool;
  openDataStore(uri: string): BlobStore;
}

/** Scores a registered version (e.g. a backtest's champion) on one year's raw file, read and de-duplicated as training reads it. */
export async function scoreYearWith(deps: ScoreYearDeps, input: ScoreYearInput): Promise<ScoreYearResult> {
  let version;
  try {
    version = await deps.registry.resolve(input.modelName, input.version);
  } catch (err) {
    throw nonRetryable('RegistryError', (err as Error).message);
  }
  const key = `${input.filePrefix}_${input.year}.csv`;
  const store = deps.openDataStore(input.dataUri);
  const raw = await store.tryGet(key);
  if (!raw) throw nonRetryable('DatasetError', `missing data file ${key} in ${input.dataUri}`);
  Context.current().heartbeat({ step: 'reading', key });
  let rows;
  try {
    rows = dedupeRows(parseTrafficCsv({ text: raw.toString('utf8'), file: key, schema: input.schema }).rows);
  } catch (err) {
    if (err instanceof DatasetError) throw nonRetryable('DatasetError', err.message);
    throw err;
  }
  Context.current().heartbeat({ step: 'scoring', rows: rows.length });
  const predictions = await scoreWithVersion(deps, version, rows);
  const labels = Float64Array.from(rows, (r) => r.traffic_volume as number);
  let interval;
  if (input.interval !== undefined) {
    const intervals = await requestedIntervals(deps.artifacts, version, rows, predictions, input.interval);
    interval = { level: input.interval, ...intervalCoverage(labels, intervals) };
  }
  return {
    year: input.year,
    modelName: version.modelName,
    version: version.version,
    rows: rows.length,
    metrics: regressionMetrics(labels, predictions),
    ...(interval ? { interval } : {}),
  };
}
