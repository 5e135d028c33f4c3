/**
 * What a search hands trial i when it starts: its parameters, its ASHA cut-offs and its model-store bound,
 * all from the same view of the finished trials. Shared by the search workflow and the benchmark's plain
 * loop, so both run the same search. Imported by Temporal workflow code: pure, no runtime imports.
 */
import type { RungCutoffs } from '../contracts';
import { DEFAULT_ASHA, rungCutoffs, type AshaSettings } from './asha';
import { modelStoreBound } from './model-bound';
import {
  compactObservations,
  DEFAULT_OBSERVATION_WINDOW,
  type SearchObservation,
} from './observation-window';
import type { Sampler } from './sampler';
import type { XGBoostParams } from '../contracts/domain';

export interface TrialPlan {
  params: XGBoostParams;
  pruning?: RungCutoffs;
  storeModelIfRmseAtMost?: number;
}

export interface TrialPlanInput {
  sampler: Sampler;
  index: number;
  /** Finished trials (sorted by index) this trial may learn from; the caller decides which (reproducible mode). */
  seen: readonly SearchObservation[];
  top: number;
  asha: boolean;
  /** Rung placement; default DEFAULT_ASHA (the benchmark compares others). */
  ashaSettings?: AshaSettings;
  /** Fixed parameters (no search). */
  params?: XGBoostParams;
}

/** The best `top` always stay in view, so the model bound is exact. */
export function observationWindowFor(top: number) {
  return { ...DEFAULT_OBSERVATION_WINDOW, best: Math.max(top, DEFAULT_OBSERVATION_WINDOW.best) };
}

export function planTrial({
  sampler,
  index,
  seen,
  top,
  asha,
  ashaSettings,
  params,
}: TrialPlanInput): TrialPlan {
  const view = compactObservations(seen, observationWindowFor(top));
  return {
    params: params ?? sampler.propose(index, view),
    pruning: asha
      ? rungCutoffs(
          ashaSettings ?? DEFAULT_ASHA,
          view.map((o) => o.rungScores ?? []),
        )
      : undefined,
    storeModelIfRmseAtMost: modelStoreBound(
      view.map((o) => o.loss),
      top,
    ),
  };
}

/** In reproducible mode trial i sees trials 0 … i − window only. */
export function visibleTo(
  index: number,
  observations: readonly SearchObservation[],
  window: number,
  reproducible: boolean,
): readonly SearchObservation[] {
  return reproducible ? observations.filter((o) => o.index <= index - window) : observations;
}
