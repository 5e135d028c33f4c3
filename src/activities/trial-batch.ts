import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import type {
  RunTrialBatchInput,
  RunTrialBatchResult,
  RunTrialInput,
  TrialBatchOutcome,
  TrialBatchProgress,
  TrialResult,
} from '../contracts';
import { WORKER_SHUTDOWN_FAILURE } from '../contracts';
import type { TrialAttemptContext } from './trial';

/** Runs one trial of a batch (in production runTrialAs; a test's fake trial in the workflow tests). */
export type TrialRunner = (input: RunTrialInput, trial: TrialAttemptContext) => Promise<TrialResult>;

/**
 * Several trials in one activity, one after another (patch 'trial-batches' of the search workflow).
 *
 * After each trial the activity heartbeats every outcome so far (`TrialBatchProgress`). A retry of the batch
 * (its worker crashed, shut down, or a trial hit a retryable fault) reads them back from the heartbeat
 * details and starts after them: a trial whose outcome reached the server never runs again. A trial that
 * fails for good (bad parameters, `TrialFailed` at its 3rd attempt) is an outcome like a result and the batch
 * goes on; a retryable failure of a trial fails the batch, with the outcomes so far in the failure's details
 * (so the search accounts them even when the batch's retries run out) and in its last heartbeat (so the
 * retry resumes). Each trial counts its own attempts: a batch retried for trial 5 gives trial 6 attempt 1.
 */
export async function runTrialBatchWith(
  runOne: TrialRunner,
  input: RunTrialBatchInput,
  worker?: RunTrialBatchResult['worker'],
): Promise<RunTrialBatchResult> {
  const ctx = Context.current();
  const resumed = progressFrom(ctx.info.heartbeatDetails, input);
  const done: TrialBatchOutcome[] = [...resumed.done];
  const finished = new Set(done.map((o) => o.trialId));
  const { datasetRef, datasetHash, engine, earlyStoppingRounds, recencyHalfLife } = input;
  for (const trial of input.trials) {
    if (finished.has(trial.trialId)) continue;
    const failedAttempts = resumed.retrying?.trialId === trial.trialId ? resumed.retrying.failedAttempts : 0;
    const trialInput: RunTrialInput = {
      datasetRef,
      datasetHash,
      engine,
      earlyStoppingRounds,
      ...(recencyHalfLife === undefined ? {} : { recencyHalfLife }),
      ...trial,
    };
    try {
      const result = await runOne(trialInput, {
        attempt: failedAttempts + 1,
        heartbeat: (current) => ctx.heartbeat({ done, current } satisfies TrialBatchProgress),
      });
      done.push({ trialId: trial.trialId, result });
    } catch (err) {
      if (err instanceof CancelledFailure) throw err;
      if (isFinal(err)) {
        done.push({ trialId: trial.trialId, error: err.message, errorType: err.type ?? 'Error' });
      } else {
        const progress: TrialBatchProgress = {
          done,
          retrying: { trialId: trial.trialId, failedAttempts: failedAttempts + 1 },
        };
        // A failure report carries the last heartbeat's details to the next attempt.
        ctx.heartbeat(progress);
        throw withProgress(err, progress);
      }
    }
    ctx.heartbeat({ done } satisfies TrialBatchProgress);
  }
  const byId = new Map(done.map((o) => [o.trialId, o]));
  return { outcomes: input.trials.map((t) => byId.get(t.trialId)!), ...(worker ? { worker } : {}) };
}

/** A failure no retry of this trial can change; a worker's shutdown is not one (the trial runs again). */
function isFinal(err: unknown): err is ApplicationFailure {
  return (
    err instanceof ApplicationFailure && err.nonRetryable === true && err.type !== WORKER_SHUTDOWN_FAILURE
  );
}

function withProgress(err: unknown, progress: TrialBatchProgress): ApplicationFailure {
  if (err instanceof ApplicationFailure) {
    return ApplicationFailure.create({
      message: err.message,
      type: err.type ?? undefined,
      nonRetryable: err.nonRetryable === true,
      details: [progress],
      cause: err.cause,
    });
  }
  const error = err instanceof Error ? err : new Error(String(err));
  return ApplicationFailure.create({
    message: error.message,
    type: error.name,
    nonRetryable: false,
    details: [progress],
    cause: error,
  });
}

/** The outcomes an earlier attempt heartbeated, for trials of this batch only. */
function progressFrom(details: unknown, input: RunTrialBatchInput): TrialBatchProgress {
  if (!isProgress(details)) return { done: [] };
  const ids = new Set(input.trials.map((t) => t.trialId));
  return {
    done: details.done.filter((o) => ids.has(o.trialId)),
    ...(details.retrying ? { retrying: details.retrying } : {}),
  };
}

function isProgress(details: unknown): details is TrialBatchProgress {
  return (
    typeof details === 'object' &&
    details !== null &&
    Array.isArray((details as TrialBatchProgress).done) &&
    (details as TrialBatchProgress).done.every((o) => typeof o?.trialId === 'string')
  );
}
