import type { VersionLiveAccuracy } from '../contracts';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** How a trial attempt ended; `pruned` is a trial the search stopped early (its result says `pruned: true`). */
export type TrialStatus = 'completed' | 'pruned' | 'failed' | 'cancelled';

export const METRIC_PREFIX = 'traffic_ml_';

/** Trials run from seconds (sample data) to tens of minutes (real data, deep trees). */
const TRIAL_DURATION_BUCKETS = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 3600];

/**
 * The pipeline's own metrics of one worker process, in their own prom-client registry (Node's process
 * metrics included). The Temporal SDK's metrics come from its Prometheus exporter; the metrics endpoint
 * serves both.
 */
export class WorkerMetrics {
  readonly registry = new Registry();

  private readonly trials = new Counter({
    name: `${METRIC_PREFIX}trials_total`,
    help: 'Trial attempts finished by this worker, by status (completed, pruned, failed, cancelled)',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  private readonly trialDuration = new Histogram({
    name: `${METRIC_PREFIX}trial_duration_seconds`,
    help: 'Wall time of a trial attempt (load the data set, train, score, store the model), by status',
    labelNames: ['status'] as const,
    buckets: TRIAL_DURATION_BUCKETS,
    registers: [this.registry],
  });

  private readonly datasetCache = new Counter({
    name: `${METRIC_PREFIX}dataset_cache_requests_total`,
    help: 'Prepared data set lookups in the worker-process cache, by result (hit, miss)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  private readonly registryVersions = new Counter({
    name: `${METRIC_PREFIX}registry_versions_created_total`,
    help: 'Model versions this worker created in the registry (retries that find their version are not counted)',
    labelNames: ['model'] as const,
    registers: [this.registry],
  });

  private readonly liveRmse = new Gauge({
    name: `${METRIC_PREFIX}live_rmse`,
    help: 'RMSE of the predictions a version actually served, on the labelled rows of the last check that had them',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });

  private readonly liveMae = new Gauge({
    name: `${METRIC_PREFIX}live_mae`,
    help: 'MAE of the predictions a version actually served, on the labelled rows of the last check that had them',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });

  private readonly liveRows = new Gauge({
    name: `${METRIC_PREFIX}live_matched_rows`,
    help: 'Served hours of a version matched with a label in the last check that had them (the rows behind live_rmse)',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Every label combination exists from the start, so dashboards show 0 instead of "no data".
    for (const status of ['completed', 'pruned', 'failed', 'cancelled'] as const) {
      this.trials.inc({ status }, 0);
    }
    for (const result of ['hit', 'miss'] as const) this.datasetCache.inc({ result }, 0);
  }

  trialFinished(status: TrialStatus, seconds: number): void {
    this.trials.inc({ status });
    this.trialDuration.observe({ status }, seconds);
  }

  datasetCacheLookup(result: 'hit' | 'miss'): void {
    this.datasetCache.inc({ result });
  }

  versionsCreated(model: string, count: number): void {
    this.registryVersions.inc({ model }, count);
  }

  liveAccuracy(
    model: string,
    measured: Pick<VersionLiveAccuracy, 'version' | 'rows' | 'rmse' | 'mae'>,
  ): void {
    const labels = { model, version: String(measured.version) };
    this.liveRmse.set(labels, measured.rmse);
    this.liveMae.set(labels, measured.mae);
    this.liveRows.set(labels, measured.rows);
  }
}
