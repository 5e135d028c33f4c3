import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The service's Prometheus metrics, on a registry of its own (several services may live in one test process). */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'prediction_http_requests_total',
    help: 'HTTP requests by route and status code',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'prediction_http_request_duration_seconds',
    help: 'HTTP request latency by route and status code',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly rowsPredicted = new Counter({
    name: 'prediction_rows_total',
    help: 'Rows predicted, by model version',
    labelNames: ['version'] as const,
    registers: [this.registry],
  });
  readonly servedVersion = new Gauge({
    name: 'prediction_champion_version',
    help: 'Version of the champion being served (0: none loaded); over several processes, the oldest one served',
    registers: [this.registry],
    aggregator: 'min',
  });
  readonly swaps = new Counter({
    name: 'prediction_champion_swaps_total',
    help: 'Times the service swapped to a new champion',
    registers: [this.registry],
  });
  readonly validationFailures = new Counter({
    name: 'prediction_validation_failures_total',
    help: 'Rejected row fields by reason (missing, type, format, range, not-an-object, body)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly flags = new Counter({
    name: 'prediction_flagged_rows_total',
    help: 'Accepted rows flagged by reason (unknown-category)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly loggedRows = new Counter({
    name: 'prediction_log_rows_written_total',
    help: 'Rows written to the prediction log in the artifact store',
    registers: [this.registry],
  });
  readonly logFailures = new Counter({
    name: 'prediction_log_flush_failures_total',
    help: 'Prediction-log batch writes that failed (the batch is kept and retried under the same key)',
    registers: [this.registry],
  });
  readonly logDroppedRows = new Counter({
    name: 'prediction_log_rows_dropped_total',
    help: 'Served rows the prediction log could not keep (buffer and spill directory full)',
    registers: [this.registry],
  });
  readonly logMemoryRows = new Gauge({
    name: 'prediction_log_memory_rows',
    help: 'Prediction-log rows held in memory, waiting to be written',
    registers: [this.registry],
  });
  readonly logSpilledBatches = new Gauge({
    name: 'prediction_log_spilled_batches',
    help: 'Prediction-log batches waiting in the spill directory for the artifact store',
    registers: [this.registry],
  });
  readonly logSpilledBytes = new Gauge({
    name: 'prediction_log_spilled_bytes',
    help: 'Bytes of prediction-log batches in the spill directory',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
