import type { ReportTrial } from '../report/report-data';
import type { BlobStore } from '../storage/blob-store';
import type { TrainingResult } from '../workflows/types';

/**
 * Every trial of a training run, successful and failed. The one place that knows where a run's trials are
 * kept: today the search result carries them all inline (leaderboard + failures).
 */
export async function loadRunTrials(
  _deps: { artifacts: BlobStore },
  result: TrainingResult,
): Promise<ReportTrial[]> {
  const search = result.search;
  if (!search) return [];
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
