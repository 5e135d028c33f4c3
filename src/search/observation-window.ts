/**
 * Which finished trials a sampler sees once a search has thousands: the best ones and the most recent
 * ones. Imported by Temporal workflow code: keep it pure, deterministic and free of runtime imports.
 *
 * TPE looks at the best trials (its "good" group, hyperopt caps it at 25) and weighs recent ones most
 * (hyperopt's linear forgetting of all but the last 25), so keeping the best `best` and the newest `recent`
 * by trial index changes little, and bounds what a continue-as-new must carry.
 *
 * compact(compact(A) ∪ B) = compact(A ∪ B) when every index in B exceeds those in A, so compacting at any
 * point of a search gives the same view.
 */
import type { Observation } from './sampler';

/** An observation with its ASHA rung scores (the search's pruning cut-offs come from the same view). */
export interface SearchObservation extends Observation {
  rungScores?: number[];
}

export interface ObservationWindow {
  best: number;
  recent: number;
}

export const DEFAULT_OBSERVATION_WINDOW: ObservationWindow = { best: 300, recent: 300 };

/** `observations` sorted by index in, the kept ones sorted by index out. */
export function compactObservations<T extends Observation>(
  observations: readonly T[],
  window: ObservationWindow = DEFAULT_OBSERVATION_WINDOW,
): T[] {
  if (observations.length <= window.best + window.recent) return [...observations];
  const recentFrom = observations.length - window.recent;
  const best = observations
    .slice(0, recentFrom)
    .map((o, at) => ({ o, at }))
    .sort((a, b) => a.o.loss - b.o.loss || a.o.index - b.o.index)
    .slice(0, window.best)
    .sort((a, b) => a.at - b.at)
    .map(({ o }) => o);
  return [...best, ...observations.slice(recentFrom)];
}
