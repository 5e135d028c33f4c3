import { ApplicationFailure } from '@temporalio/workflow';
import type { TrialFailure } from '../contracts';

/** Default of `--max-failed-share`. */
export const DEFAULT_MAX_FAILED_SHARE = 0.1;

/**
 * Fails the search (non-retryable `TooManyTrialsFailed`, with the distinct reasons and their counts) when
 * more than `maxFailedShare` of its `trials` failed, instead of registering models from what is left.
 */
export function assertFailureBudget(
  trials: number,
  failed: number,
  /** The failures kept in the result (possibly only the first few of `failed`): their reasons are listed. */
  failures: readonly TrialFailure[],
  maxFailedShare: number,
): void {
  if (failed <= maxFailedShare * trials) return;
  const reasons = new Map<string, number>();
  for (const f of failures) {
    // The trial id prefixes most messages, and content hashes (model keys) differ per trial: group without them.
    const reason = (
      f.error.startsWith(`${f.trialId}: `) ? f.error.slice(f.trialId.length + 2) : f.error
    ).replace(/[0-9a-f]{16,}/g, '…');
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  const listed = [...reasons.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([reason, count]) => `${count}× ${reason}`);
  const more = reasons.size > 3 ? `; and ${reasons.size - 3} other reasons` : '';
  const share = (100 * failed) / trials;
  throw ApplicationFailure.nonRetryable(
    `${failed} of ${trials} trials failed (${share.toFixed(1)} % > ${100 * maxFailedShare} % allowed): ${listed.join('; ')}${more}`,
    'TooManyTrialsFailed',
  );
}
