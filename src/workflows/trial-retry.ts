import type { RetryPolicy } from '@temporalio/workflow';

/** Default of `--infra-retry-window`: how long a trial rides out an unreachable or throttled store. */
export const DEFAULT_INFRA_RETRY_WINDOW_MS = 30 * 60_000;

const INITIAL_INTERVAL_MS = 2_000;
const MAXIMUM_INTERVAL_MS = 60_000;

/**
 * The trial activity's retry policy: exponential backoff from 2 s, capped at 1 min between attempts, with
 * enough attempts that the waits alone add up to `windowMs`. Infrastructure faults (type
 * `InfrastructureFault`) are thus retried for at least the window; bad data and bad parameters fail at
 * once; any other failure becomes final (`TrialFailed`) at the trial's 3rd attempt (src/activities/trial.ts).
 * Attempts are counted rather than a schedule-to-close timeout set, which would also count the time a
 * trial waits in the task queue behind the others.
 */
export function trialRetryPolicy(windowMs: number): RetryPolicy {
  let waited = 0;
  let interval = INITIAL_INTERVAL_MS;
  let retries = 0;
  while (waited < windowMs) {
    waited += Math.min(interval, MAXIMUM_INTERVAL_MS);
    interval *= 2;
    retries++;
  }
  return {
    initialInterval: INITIAL_INTERVAL_MS,
    backoffCoefficient: 2,
    maximumInterval: MAXIMUM_INTERVAL_MS,
    maximumAttempts: retries + 1,
    nonRetryableErrorTypes: ['DatasetError', 'InvalidParams', 'InvalidInput', 'TrialFailed'],
  };
}
