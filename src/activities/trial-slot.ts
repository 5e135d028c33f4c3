import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { WORKER_SHUTDOWN_FAILURE } from '../contracts';

/** As for trials (src/activities/trial.ts): the trial queue's heartbeat timeout is 20 s. */
const HEARTBEAT_EVERY_MS = 8_000;

/**
 * Trial-sized work after the search (a refit, one-year-ahead trainings) in a trial slot of the trial queue:
 * heartbeats its latest progress as trials do, fails retryably when its worker shuts down under it, and is
 * cancelled when the workflow cancels it.
 */
export async function inTrialSlot<T>(
  what: string,
  started: Record<string, unknown>,
  work: (slot: { signal: AbortSignal; progress(details: Record<string, unknown>): void }) => Promise<T>,
): Promise<T> {
  const ctx = Context.current();
  let latest = started;
  const ticker = setInterval(() => ctx.heartbeat(latest), HEARTBEAT_EVERY_MS);
  try {
    return await work({
      signal: ctx.cancellationSignal,
      progress: (details) => {
        latest = details;
      },
    });
  } catch (err) {
    if (ctx.cancellationDetails?.workerShutdown) {
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
