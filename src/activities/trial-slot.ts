import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { WORKER_SHUTDOWN_FAILURE } from '../contracts';

/**
 * Heartbeats only keep the work alive (the trial queue's heartbeat timeout is 20 s, so a killed worker stalls
 * it for at most that long); work shorter than this interval sends none.
 */
const HEARTBEAT_EVERY_MS = 8_000;

/**
 * Trial-sized work in a trial slot of the trial queue (a trial, a refit, one-year-ahead trainings):
 * heartbeats its latest progress as trials do, fails retryably when its worker shuts down under it, and is
 * cancelled when the workflow cancels it.
 */
export async function inTrialSlot<T>(
  what: string,
  started: Record<string, unknown>,
  work: (slot: { signal: AbortSignal; progress(details: Record<string, unknown>): void }) => Promise<T>,
  /** How to heartbeat (a trial batch adds the outcomes so far); default: the activity's own heartbeat. */
  heartbeat?: (details: Record<string, unknown>) => void,
): Promise<T> {
  const ctx = Context.current();
  const beat = heartbeat ?? ((details: Record<string, unknown>) => ctx.heartbeat(details));
  let latest = started;
  const ticker = setInterval(() => beat(latest), HEARTBEAT_EVERY_MS);
  try {
    return await work({
      signal: ctx.cancellationSignal,
      progress: (details) => {
        latest = details;
      },
    });
  } catch (err) {
    if (ctx.cancellationDetails?.workerShutdown) {
      // Not the work's fault: retryable (the search re-runs such a trial rather than filing a failure).
      throw ApplicationFailure.retryable(
        `${what} interrupted: its worker shut down`,
        WORKER_SHUTDOWN_FAILURE,
      );
    }
    if (ctx.cancellationSignal.aborted) throw new CancelledFailure(`${what} cancelled`);
    throw err;
  } finally {
    clearInterval(ticker);
  }
}
