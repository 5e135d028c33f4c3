import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  defineQuery,
  patched,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { createRng, sampleParams } from '../ml/search-space';
import type { XGBoostParams } from '../ml/types';
import { DEFAULT_MAX_FAILED_SHARE, assertFailureBudget } from './failure-budget';
import { DEFAULT_INFRA_RETRY_WINDOW_MS, trialRetryPolicy } from './trial-retry';
import type { SearchInput, SearchProgress, SearchResult, TrialFailure, TrialResult } from './types';

export const searchProgressQuery = defineQuery<SearchProgress>('progress');

export interface SearchWorkflowInput extends SearchInput {
  /** The task queue served by trial worker threads. */
  trialTaskQueue: string;
}

/**
 * Hyperparameter search: `trials` trials sampled from the seed's space with a seeded generator
 * (so a replay samples the same parameters), run as activities with at most `parallelism` pending.
 */
export async function searchWorkflow(input: SearchWorkflowInput): Promise<SearchResult> {
  // Infrastructure faults retry for a window, and too many failed trials fail the search.
  const infraFaults = patched('infra-faults-are-not-trial-failures');
  const { runTrial } = proxyActivities<Activities>({
    taskQueue: input.trialTaskQueue,
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: '2 minutes',
    retry: infraFaults
      ? trialRetryPolicy(input.infraRetryWindowMs ?? DEFAULT_INFRA_RETRY_WINDOW_MS)
      : {
          initialInterval: '2 seconds',
          backoffCoefficient: 2,
          maximumAttempts: 3,
          nonRetryableErrorTypes: ['DatasetError', 'InvalidParams'],
        },
  });

  const plan = planTrials(input);
  const leaderboard: TrialResult[] = [];
  const failures: TrialFailure[] = [];
  let running = 0;

  setHandler(searchProgressQuery, () => ({
    total: plan.length,
    done: leaderboard.length,
    failed: failures.length,
    running,
    best: leaderboard[0] && { trialId: leaderboard[0].trialId, rmse: leaderboard[0].metrics.rmse },
  }));

  const parallelism = Math.max(1, input.parallelism);
  for (const trial of plan) {
    await condition(() => running < parallelism);
    running++;
    void runTrial({
      datasetRef: input.datasetRef,
      datasetHash: input.datasetHash,
      trialId: trial.trialId,
      params: trial.params,
      engine: input.engine,
      earlyStoppingRounds: input.earlyStoppingRounds,
    })
      .then((result) => insertSorted(leaderboard, result))
      .catch((err: unknown) => failures.push({ ...trial, error: describeFailure(err) }))
      .finally(() => running--);
  }
  await condition(() => running === 0);
  if (infraFaults)
    assertFailureBudget(plan.length, failures, input.maxFailedShare ?? DEFAULT_MAX_FAILED_SHARE);

  if (leaderboard.length === 0) {
    throw ApplicationFailure.nonRetryable(
      `all ${plan.length} trials failed; first error: ${failures[0]?.error ?? 'unknown'}`,
      'SearchFailed',
    );
  }
  return { leaderboard, failures, best: leaderboard.slice(0, Math.max(1, input.top)) };
}

function planTrials(input: SearchInput): { trialId: string; params: XGBoostParams }[] {
  if (input.params) return [{ trialId: 'trial-000', params: input.params }];
  const rng = createRng(input.seed);
  return Array.from({ length: input.trials }, (_, i) => ({
    trialId: `trial-${String(i).padStart(3, '0')}`,
    params: sampleParams(rng),
  }));
}

function insertSorted(board: TrialResult[], result: TrialResult): void {
  const at = board.findIndex((t) => t.metrics.rmse > result.metrics.rmse);
  board.splice(at === -1 ? board.length : at, 0, result);
}

function describeFailure(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}
