import {
  ActivityFailure,
  ApplicationFailure,
  TimeoutFailure,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../contracts';
import { DEFAULT_ASHA, LEGACY_ASHA } from '../search/asha';
import { createSampler } from '../search/create-sampler';
import { compactObservations, type SearchObservation } from '../search/observation-window';
import { observationWindowFor, planTrial, visibleTo } from '../search/trial-plan';
import { DEFAULT_MAX_FAILED_SHARE, assertFailureBudget } from './failure-budget';
import { MAX_TRIALS, resolveStrategy } from './search-strategy';
import { WORKER_SHUTDOWN_FAILURE } from '../contracts';
import { searchV1 } from './legacy/search-v1';
import {
  describeFailure,
  insertSorted,
  searchProgressQuery,
  trialActivities,
  trialIdOf,
  type SearchCarry,
  type SearchWorkflowInput,
} from './search-common';
import { PROBE_TRIALS, PROBE_WAIT, trialBatchSize } from './trial-batch-size';

export { searchProgressQuery, type SearchCarry, type SearchWorkflowInput };
import type {
  BatchTrial,
  RunTrialInput,
  SearchResult,
  TrialBatchOutcome,
  TrialBatchProgress,
  TrialResult,
  TrialTableRow,
  XGBoostParams,
} from '../contracts';

/** About 6 history events per trial: 1,000 trials stay well under the 10,240-event warning. */
const TRIALS_PER_RUN = 1_000;
/** Trials kept inline in the result; the trial table has them all. */
const LEADERBOARD_SIZE = 20;
const FAILURES_KEPT = 20;
/** Finished trials per append to the trial table. */
const TABLE_BATCH = 100;

const { appendTrialTable } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * Hyperparameter search: trials proposed by a sampler (TPE or random) from the finished trials, run as
 * activities in a sliding window of `parallelism`, optionally pruned by ASHA, continuing as new every
 * `trialsPerRun` trials. In reproducible mode trial i is proposed, and its pruning cut-offs and model bound
 * fixed, from trials 0 … i − parallelism only, so the same seed and data give the same trials whatever the
 * workers do.
 */
export async function searchWorkflow(input: SearchWorkflowInput): Promise<SearchResult> {
  if (!patched('search-sampler-asha-trial-table')) return searchV1(input);
  return samplerSearch(input);
}

async function samplerSearch(input: SearchWorkflowInput): Promise<SearchResult> {
  const infraFaults = patched('infra-faults-are-not-trial-failures');
  const { runTrial } = trialActivities(input, infraFaults);
  // Several trials per activity when trials are short (issue 21): fewer round trips through the server.
  const batches = patched('trial-batches');
  // One rung placement for the whole search: the rung scores carried across continue-as-new were taken at it.
  const asha = input.carried
    ? (input.carried.asha ?? LEGACY_ASHA)
    : patched('asha-rungs-20-eta-4')
      ? DEFAULT_ASHA
      : LEGACY_ASHA;
  const total = input.params ? 1 : input.trials;
  if (!Number.isInteger(total) || total < 1 || total > MAX_TRIALS) {
    throw ApplicationFailure.nonRetryable(
      `trials must be an integer from 1 to ${MAX_TRIALS} (got ${input.trials})`,
      'InvalidInput',
    );
  }
  const strategy = resolveStrategy(input.strategy, input.engine);
  const sampler = createSampler(strategy.sampler, input.seed, { tpe: { budget: total } });
  const window = Math.max(1, input.parallelism);
  const top = Math.max(1, input.top);
  const searchWorkflowId = workflowInfo().workflowId;
  const carried: SearchCarry = input.carried ?? {
    nextIndex: 0,
    observations: [],
    leaderboard: [],
    failures: [],
    counts: { succeeded: 0, pruned: 0, failed: 0 },
  };
  const { leaderboard, failures, counts } = carried;
  const observations = [...carried.observations];
  const runEnd = Math.min(total, carried.nextIndex + (input.trialsPerRun ?? TRIALS_PER_RUN));
  // Every index below `frontier` has finished; `finishedAbove` holds those above it.
  let frontier = carried.nextIndex;
  const finishedAbove = new Set<number>();
  let running = 0;
  let tableRows: TrialTableRow[] = [];
  let tableWrites: Promise<unknown> = Promise.resolve();
  let trialTableRef: string | undefined;

  setHandler(searchProgressQuery, () => ({
    total,
    done: counts.succeeded + counts.pruned,
    failed: counts.failed,
    running,
    best: leaderboard[0] && { trialId: leaderboard[0].trialId, rmse: leaderboard[0].metrics.rmse },
  }));

  const flushTable = (): void => {
    if (tableRows.length === 0) return;
    const rows = tableRows;
    tableRows = [];
    tableWrites = tableWrites.then(async () => {
      trialTableRef = (await appendTrialTable({ searchWorkflowId, rows })).tableRef;
    });
  };

  let finishedInRun = 0;
  const finish = (index: number, row: TrialTableRow): void => {
    finishedInRun++;
    tableRows.push(row);
    if (tableRows.length >= TABLE_BATCH) flushTable();
    finishedAbove.add(index);
    while (finishedAbove.delete(frontier)) frontier++;
    running--;
  };

  // What a finished trial changes, whichever way it ran: counts, leaderboard, observations, table.
  const succeeded = (index: number, result: TrialResult): void => {
    if (result.pruned) counts.pruned++;
    else counts.succeeded++;
    // A pruned trial's RMSE is a truncated model's: it is in the table, never a candidate to register
    // or an ensemble member.
    if (!result.pruned || !patched('pruned-trials-not-candidates'))
      insertSorted(leaderboard, result, Math.max(LEADERBOARD_SIZE, top));
    insertByIndex(observations, {
      index,
      params: result.params,
      loss: result.metrics.rmse,
      ...(result.pruned ? { pruned: true } : {}),
      ...(result.rungScores ? { rungScores: result.rungScores } : {}),
    });
    if (batches) trainMs.push(result.trainMs);
    finish(index, tableRow(index, result));
  };
  const failed = (index: number, params: XGBoostParams, error: string): void => {
    counts.failed++;
    const trialId = trialIdOf(index);
    if (failures.length < FAILURES_KEPT) failures.push({ trialId, params, error });
    finish(index, { index, trialId, status: 'failed', params, error });
  };
  const trainMs: number[] = [];

  const trialInputOf = (index: number): RunTrialInput => {
    const plan = planTrial({
      sampler,
      index,
      seen: visibleTo(index, observations, window, strategy.reproducible),
      top,
      asha: strategy.pruning === 'asha',
      ashaSettings: asha,
      params: input.params,
    });
    return {
      datasetRef: input.datasetRef,
      datasetHash: input.datasetHash,
      trialId: trialIdOf(index),
      params: plan.params,
      engine: input.engine,
      earlyStoppingRounds: input.earlyStoppingRounds,
      ...(input.recencyHalfLife === undefined ? {} : { recencyHalfLife: input.recencyHalfLife }),
      pruning: plan.pruning,
      storeModelIfRmseAtMost: plan.storeModelIfRmseAtMost,
    };
  };

  let next = carried.nextIndex;
  if (batches) {
    const accounted = new Set<number>();
    // Worker processes that ran a batch, their trial slots and the first index of their latest batch.
    const workers = new Map<string, { slots: number; lastIndex: number }>();
    // Slots of the workers seen within the last few windows (a worker that left stops counting).
    const slotsSeen = (at: number): number => {
      let sum = 0;
      for (const w of workers.values()) if (w.lastIndex >= at - 4 * window) sum += w.slots;
      return sum;
    };
    // Each trial's outcome is accounted once, whether it came in the batch's result or, when the batch
    // failed, in its failure's details (the outcomes it had heartbeated).
    const account = (trial: PlannedTrial, outcome: TrialBatchOutcome): void => {
      if (accounted.has(trial.index)) return;
      accounted.add(trial.index);
      if ('result' in outcome) succeeded(trial.index, outcome.result);
      else failed(trial.index, trial.trial.params, outcome.error);
    };
    const runBatch = (batch: PlannedTrial[]): void => {
      void trialActivities(input, true, batch.length)
        .runTrialBatch({
          datasetRef: input.datasetRef,
          datasetHash: input.datasetHash,
          engine: input.engine,
          earlyStoppingRounds: input.earlyStoppingRounds,
          ...(input.recencyHalfLife === undefined ? {} : { recencyHalfLife: input.recencyHalfLife }),
          trials: batch.map((t) => t.trial),
        })
        .then(
          ({ outcomes, worker }) => {
            if (worker) {
              const lastIndex = Math.max(batch[0].index, workers.get(worker.id)?.lastIndex ?? 0);
              workers.set(worker.id, { slots: worker.slots, lastIndex });
            }
            const byId = new Map(outcomes.map((o) => [o.trialId, o]));
            for (const trial of batch) {
              const outcome = byId.get(trial.trial.trialId);
              if (outcome) account(trial, outcome);
              else
                failed(
                  trial.index,
                  trial.trial.params,
                  `${trial.trial.trialId}: missing from its batch's result`,
                );
            }
          },
          (err: unknown) => {
            const progress = batchProgressOf(err);
            const byId = new Map((progress?.done ?? []).map((o) => [o.trialId, o]));
            const rest: PlannedTrial[] = [];
            for (const trial of batch) {
              const outcome = byId.get(trial.trial.trialId);
              if (outcome) account(trial, outcome);
              else rest.push(trial);
            }
            // Cut short by its worker's shutdown: the unfinished trials run again, same ids and parameters.
            if (isWorkerShutdown(err)) {
              if (rest.length > 0) runBatch(rest);
              return;
            }
            const error = describeFailure(err);
            const failedId = progress?.retrying?.trialId;
            for (const trial of rest) {
              const id = trial.trial.trialId;
              const own = failedId === undefined || failedId === id || error.startsWith(`${id}: `);
              failed(
                trial.index,
                trial.trial.params,
                own ? error : `${id}: not run, its batch failed: ${error}`,
              );
            }
          },
        );
    };
    while (next < runEnd) {
      const first = next;
      if (first > carried.nextIndex && workflowInfo().continueAsNewSuggested) break;
      if (input.trialsPerActivity === undefined && first - carried.nextIndex === PROBE_TRIALS) {
        // Measure before batching (see trial-batch-size.ts).
        await condition(() => finishedInRun > 0, PROBE_WAIT);
      }
      const size = Math.min(
        runEnd - first,
        trialBatchSize({ requested: input.trialsPerActivity, window, trainMs, slots: slotsSeen(first) }),
      );
      // Reproducible: every trial of the batch sees trials 0 … i − window, as it would alone.
      if (strategy.reproducible) await condition(() => frontier > first + size - 1 - window);
      await condition(() => running + size <= window);
      const batch: PlannedTrial[] = [];
      for (let index = first; index < first + size; index++) {
        const trial = trialInputOf(index);
        batch.push({
          index,
          trial: {
            trialId: trial.trialId,
            params: trial.params,
            pruning: trial.pruning,
            storeModelIfRmseAtMost: trial.storeModelIfRmseAtMost,
          },
        });
      }
      running += size;
      next += size;
      runBatch(batch);
    }
  } else {
    for (; next < runEnd; next++) {
      const index = next;
      if (index > carried.nextIndex && workflowInfo().continueAsNewSuggested) break;
      if (strategy.reproducible) await condition(() => frontier > index - window);
      await condition(() => running < window);

      const trialInput = trialInputOf(index);
      const { params } = trialInput;
      running++;
      // A trial whose last attempt was cut short by its worker's shutdown did not fail: it runs again, same
      // id and parameters. (Histories recorded before the patch filed it as failed, and replay so.)
      const runToEnd = (): Promise<TrialResult> =>
        runTrial(trialInput).catch((err: unknown) => {
          if (isWorkerShutdown(err) && patched('worker-shutdown-reruns-trial')) return runToEnd();
          throw err;
        });
      void runToEnd().then(
        (result) => succeeded(index, result),
        (err: unknown) => failed(index, params, describeFailure(err)),
      );
    }
  }
  await condition(() => running === 0);
  flushTable();
  await tableWrites;

  if (next < total) {
    // Carry the view trials ≥ next − window would see: compacted older ones, the last `window` as they are.
    const cut = next - 1 - window;
    const older = compactObservations(
      observations.filter((o) => o.index <= cut),
      observationWindowFor(top),
    );
    return continueAsNew<typeof searchWorkflow>({
      ...input,
      carried: {
        nextIndex: next,
        observations: [...older, ...observations.filter((o) => o.index > cut)],
        leaderboard,
        failures,
        counts,
        asha,
      },
    });
  }

  if (leaderboard.length === 0) {
    throw ApplicationFailure.nonRetryable(
      `all ${total} trials failed; first error: ${failures[0]?.error ?? 'unknown'}`,
      'SearchFailed',
    );
  }
  if (infraFaults) {
    assertFailureBudget(total, counts.failed, failures, input.maxFailedShare ?? DEFAULT_MAX_FAILED_SHARE);
  }
  return {
    leaderboard,
    failures,
    best: leaderboard.slice(0, top),
    counts,
    trialTableRef,
    strategy,
  };
}

function tableRow(index: number, result: TrialResult): TrialTableRow {
  return {
    index,
    trialId: result.trialId,
    status: result.pruned ? 'pruned' : 'succeeded',
    params: result.params,
    metrics: result.metrics,
    rounds: result.rounds,
    roundsTrained: result.roundsTrained,
    trainMs: result.trainMs,
    modelRef: result.modelRef,
    ...(result.earlyStoppingRmse === undefined ? {} : { earlyStoppingRmse: result.earlyStoppingRmse }),
    ...(result.rungScores ? { rungScores: result.rungScores } : {}),
    ...(result.rungRounds ? { rungRounds: result.rungRounds } : {}),
  };
}

function insertByIndex(list: SearchObservation[], observation: SearchObservation): void {
  let at = list.length;
  while (at > 0 && list[at - 1].index > observation.index) at--;
  list.splice(at, 0, observation);
}

function isWorkerShutdown(err: unknown): boolean {
  return (
    err instanceof ActivityFailure &&
    err.cause instanceof ApplicationFailure &&
    err.cause.type === WORKER_SHUTDOWN_FAILURE
  );
}

interface PlannedTrial {
  index: number;
  trial: BatchTrial;
}

/** The outcomes a failed batch had heartbeated: in its failure's details, or its last heartbeat's on a timeout. */
function batchProgressOf(err: unknown): TrialBatchProgress | undefined {
  if (!(err instanceof ActivityFailure)) return undefined;
  const details =
    err.cause instanceof ApplicationFailure
      ? err.cause.details?.[0]
      : err.cause instanceof TimeoutFailure
        ? err.cause.lastHeartbeatDetails
        : undefined;
  const progress = details as TrialBatchProgress | undefined;
  return progress && Array.isArray(progress.done) ? progress : undefined;
}
