import type { ReportTrial } from '../report/report-data';
import type { BlobStore } from '../storage/blob-store';
import type { TrainingResult } from '../contracts';
import { readTrialTable } from './trial-table';

/**
 * Every trial of a training run, succeeded, pruned and failed. The one place that knows where a run's
 * trials are kept: the search's trial table (`trials/<search id>/`) when it has one, else (runs from
 * before the table) the search result's inline leaderboard and failures.
 */
export async function loadRunTrials(
  deps: { artifacts: BlobStore },
  result: TrainingResult,
): Promise<ReportTrial[]> {
  const search = result.search;
  if (!search) return [];
  if (search.trialTableRef) {
    return (await readTrialTable(deps.artifacts, search.trialTableRef)).map((row) => ({
      trialId: row.trialId,
      params: row.params,
      metrics: row.metrics,
      rounds: row.rounds,
      trainMs: row.trainMs,
      error: row.error,
    }));
  }
  return [
    ...search.leaderboard.map((t) => ({
      trialId: t.trialId,
      params: t.params,
      metrics: t.metrics,
      rounds: t.rounds,
      trainMs: t.trainMs,
    })),
    ...search.failures.map((f) => ({ trialId: f.trialId, params: f.params, error: f.error })),
  ];
}
