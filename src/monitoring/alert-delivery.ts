/**
 * Posts alerts to a webhook (Slack incoming webhooks and anything that takes JSON), once per model, day and
 * cause: a marker object in the artifact store records a delivered alert, and an alert with a marker is not
 * sent again (a retried activity, a second check the same day, a backfill). The marker is written after the
 * receiver accepted, so a crash between the two can repeat one alert (at least once); receivers can
 * deduplicate on `id`. Delivery never throws: an alert that could not be delivered is reported and retried by
 * the next run, since it left no marker.
 */
import type { BlobStore } from '../storage/blob-store';
import type { Alert } from './alerts';
import { monitoringKeys } from './monitoring-keys';
import type { DeliveryOutcome } from '../contracts/alerts';

export interface DeliveryOptions {
  url: string;
  /** Attempts per alert, default 6; the waits double from `initialDelayMs` (default 500) up to `maxDelayMs` (8000). */
  attempts?: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Per request, default 10 s. */
  timeoutMs?: number;
  /** Called between attempts (activity heartbeats). */
  onRetry?: (attempt: number, error: string) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function post(url: string, alert: Alert, timeoutMs: number): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(alert),
    signal: AbortSignal.timeout(timeoutMs),
  });
  await response.arrayBuffer().catch(() => undefined);
  if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
}

export async function deliverAlert(
  store: BlobStore,
  alert: Alert,
  options: DeliveryOptions,
): Promise<DeliveryOutcome> {
  const marker = monitoringKeys.alertMarker(alert.model, alert.day, alert.cause);
  const base = { cause: alert.cause, day: alert.day };
  try {
    if (await store.head(marker)) return { ...base, status: 'already-sent', attempts: 0 };
  } catch (err) {
    return { ...base, status: 'failed', attempts: 0, error: `cannot read marker: ${(err as Error).message}` };
  }
  const attempts = options.attempts ?? 6;
  let delay = options.initialDelayMs ?? 500;
  let error = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      await post(options.url, alert, options.timeoutMs ?? 10_000);
      try {
        await store.putIfAbsent(
          marker,
          JSON.stringify({ ...alert, sentAt: new Date().toISOString(), attempts: attempt }),
        );
      } catch (err) {
        return {
          ...base,
          status: 'sent',
          attempts: attempt,
          error: `sent, marker not written: ${(err as Error).message}`,
        };
      }
      return { ...base, status: 'sent', attempts: attempt };
    } catch (err) {
      error = (err as Error).message;
      if (attempt === attempts) break;
      options.onRetry?.(attempt, error);
      await sleep(delay);
      delay = Math.min(delay * 2, options.maxDelayMs ?? 8_000);
    }
  }
  return { ...base, status: 'failed', attempts, error };
}
