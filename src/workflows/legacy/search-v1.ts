import { ApplicationFailure, condition, patched, setHandler } from '@temporalio/workflow';
import type { SearchInput, SearchResult, TrialFailure, TrialResult, XGBoostParams } from '../../contracts';
import { createRng, sampleParams } from '../../search/search-space';
import { DEFAULT_MAX_FAILED_SHARE, assertFailureBudget } from '../failure-budget';
import {
  describeFailure,
  insertSorted,
  searchProgressQuery,
  trialActivities,
  trialIdOf,
  type SearchWorkflowInput,
} from '../search-common';

/**
 * The search as recorded before the sampler, ASHA and the trial table (patch
 * 'search-sampler-asha-trial-table'): kept so that histories started by it replay unchanged.
 */
export async function searchV1(input: SearchWorkflowInput): Promise<SearchResult> {
  const infraFaults = patched('infra-faults-are-not-trial-failures');
  const { runTrial } = trialActivities(input, infraFaults);
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
      ...(input.recencyHalfLife === undefined ? {} : { recencyHalfLife: input.recencyHalfLife }),
    })
      .then((result) => insertSorted(leaderboard, result))
      .catch((err: unknown) => failures.push({ ...trial, error: describeFailure(err) }))
      .finally(() => running--);
  }
  await condition(() => running === 0);
  if (infraFaults) {
    const maxShare = input.maxFailedShare ?? DEFAULT_MAX_FAILED_SHARE;
    assertFailureBudget(plan.length, failures.length, failures, maxShare);
  }

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
    trialId: trialIdOf(i),
    params: sampleParams(rng),
  }));
}
