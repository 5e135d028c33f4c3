import { CancelledFailure } from '@temporalio/common';
import type { TrialStatus, WorkerMetrics } from '../metrics/worker-metrics';

/** Counts and times one trial attempt by how it ended. */
export async function observeTrial<T extends object>(
  metrics: WorkerMetrics | undefined,
  run: () => Promise<T>,
): Promise<T> {
  if (!metrics) return run();
  const started = performance.now();
  const finish = (status: TrialStatus) => metrics.trialFinished(status, (performance.now() - started) / 1000);
  try {
    const result = await run();
    finish(isPruned(result) ? 'pruned' : 'completed');
    return result;
  } catch (err) {
    finish(err instanceof CancelledFailure ? 'cancelled' : 'failed');
    throw err;
  }
}

// Pruned trials return a result marked `pruned: true` (the search stops them early); older results lack the field.
function isPruned(result: object): boolean {
  return 'pruned' in result && result.pruned === true;
}
