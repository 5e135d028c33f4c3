import { ActivityFailure, defineQuery, proxyActivities } from '@temporalio/workflow';
import type {
  Activities,
  SearchInput,
  SearchProgress,
  TrialCounts,
  TrialFailure,
  TrialResult,
} from '../contracts';
import type { AshaSettings } from '../search/asha';
import type { SearchObservation } from '../search/observation-window';
import { DEFAULT_INFRA_RETRY_WINDOW_MS, trialRetryPolicy } from './trial-retry';

/** What the search workflows (the current one and workflows/legacy/search-v1.ts) share. */

export const searchProgressQuery = defineQuery<SearchProgress>('progress');

/** What a run hands to the next one when it continues as new: only what proposals and the result need. */
export interface SearchCarry {
  /** Every trial below this index has finished. */
  nextIndex: number;
  /** Compacted observations (see observation-window.ts), sorted by index. */
  observations: SearchObservation[];
  leaderboard: TrialResult[];
  failures: TrialFailure[];
  counts: TrialCounts;
  /** The search's ASHA rungs (absent: carried by a run from before patch 'asha-rungs-20-eta-4', LEGACY_ASHA). */
  asha?: AshaSettings;
}

export interface SearchWorkflowInput extends SearchInput {
  /** The task queue served by trial worker threads. */
  trialTaskQueue: string;
  /** Set by continue-as-new. */
  carried?: SearchCarry;
  /** Trials one run starts before it continues as new (default TRIALS_PER_RUN). */
  trialsPerRun?: number;
}

/**
 * Trial activities. With `infraFaults` (patch 'infra-faults-are-not-trial-failures') store outages and
 * throttling retry with backoff for a window; without it, the three quick attempts recorded histories used.
 * `trials`: how many trials one activity runs (a batch, patch 'trial-batches'; histories with batches all
 * have the infra-faults patch too), each with 30 minutes before the start-to-close backstop.
 */
export function trialActivities(input: SearchWorkflowInput, infraFaults: boolean, trials = 1) {
  return proxyActivities<Activities>({
    taskQueue: input.trialTaskQueue,
    startToCloseTimeout: `${30 * Math.max(1, trials)} minutes`,
    // Trials heartbeat every 8 s (src/activities/trial.ts): a killed worker stalls a trial for at most 20 s.
    heartbeatTimeout: '20 seconds',
    retry: infraFaults
      ? trialRetryPolicy(input.infraRetryWindowMs ?? DEFAULT_INFRA_RETRY_WINDOW_MS)
      : {
          initialInterval: '2 seconds',
          backoffCoefficient: 2,
          maximumAttempts: 3,
          nonRetryableErrorTypes: ['DatasetError', 'InvalidParams'],
        },
  });
}

export function trialIdOf(index: number): string {
  return `trial-${String(index).padStart(3, '0')}`;
}

/** Keeps `board` sorted by validation RMSE (ties in finishing order), at most `limit` long. */
export function insertSorted(
  board: TrialResult[],
  result: TrialResult,
  limit = Number.POSITIVE_INFINITY,
): void {
  const at = board.findIndex((t) => t.metrics.rmse > result.metrics.rmse);
  board.splice(at === -1 ? board.length : at, 0, result);
  if (board.length > limit) board.length = limit;
}

export function describeFailure(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}
