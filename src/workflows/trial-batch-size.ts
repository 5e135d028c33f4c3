/**
 * How many trials one activity runs (patch 'trial-batches'). Every activity costs the Temporal server and
 * the worker a fixed amount of CPU (about 35 + 29 ms on the benchmark machine, docs/performance.md), so
 * short trials are sent several at a time; long ones keep one activity each, where that cost is negligible
 * and one trial per slot spreads them best over many workers.
 */

/** Batches aim at about this much training each. */
export const TARGET_BATCH_MS = 5_000;
/**
 * Before any trial has finished, the automatic size starts this many trials one per activity, then waits up
 * to PROBE_WAIT for the first to finish: short trials are then batched from the next trial on; long ones
 * (none finished in time) go on one per activity until one has, so unmeasured trials never share a slot.
 */
export const PROBE_TRIALS = 2;
export const PROBE_WAIT = '5 seconds';
/** Finished trials whose training time the automatic size averages (the latest ones). */
const MEASURED_TRIALS = 20;

export interface BatchSizeInput {
  /** `trialsPerActivity` of the search input, when set. */
  requested?: number;
  /** The search window (parallelism). */
  window: number;
  /** Training times (ms) of finished trials, oldest first. */
  trainMs: readonly number[];
  /** Trial slots of the worker processes seen running batches lately (0: none reported yet). */
  slots?: number;
}

/**
 * The requested size, or from the mean training time of the latest finished trials, so that a batch trains
 * for about TARGET_BATCH_MS. At most the window over the slots the workers reported (and at most half the
 * window), so that there are at least as many batches pending as slots to run them; never above the window.
 */
export function trialBatchSize({ requested, window, trainMs, slots = 0 }: BatchSizeInput): number {
  const w = Math.max(1, Math.floor(window));
  if (requested !== undefined) return Math.min(w, Math.max(1, Math.floor(requested)));
  const most = Math.max(1, Math.floor(w / Math.max(2, slots)));
  const recent = trainMs.slice(-MEASURED_TRIALS);
  if (recent.length === 0) return 1;
  const mean = recent.reduce((a, b) => a + b, 0) / recent.length;
  return Math.min(most, Math.max(1, Math.floor(TARGET_BATCH_MS / Math.max(1, mean))));
}
