import type { MetricsExporterConfig } from '@temporalio/worker';
import { freePort } from '../common/free-port';

export interface SdkMetricsExporter {
  /** For `Runtime.install({ telemetryOptions: { metrics } })`. */
  metrics: MetricsExporterConfig;
  /** Where the exporter serves its text format; the metrics endpoint merges it into every scrape. */
  url: string;
}

/**
 * The Temporal SDK's Prometheus exporter (worker and connection metrics: task slots, poll and
 * schedule-to-start latencies, activity execution latency and failures) on a free loopback port.
 * Durations in seconds, as Prometheus expects.
 */
export async function sdkPrometheusExporter(): Promise<SdkMetricsExporter> {
  const address = `127.0.0.1:${await freePort()}`;
  return {
    metrics: { prometheus: { bindAddress: address, useSecondsForDurations: true } },
    url: `http://${address}/metrics`,
  };
}
