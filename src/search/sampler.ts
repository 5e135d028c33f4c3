/**
 * The contract between the search workflow and a hyperparameter sampler.
 * Imported by Temporal workflow code: keep it pure, deterministic and free of runtime imports.
 */
import { SEARCH_SPACE, trialParams, type SearchSpace } from './search-space';
import type { XGBoostParams } from '../contracts/domain';
import type { SamplerKind } from '../contracts/search';

/** A finished trial as a sampler sees it: its parameters and the loss to minimise (validation RMSE). */
export interface Observation {
  index: number;
  params: XGBoostParams;
  loss: number;
  /** Stopped early by pruning: `loss` is the best score it reached before it was stopped. */
  pruned?: boolean;
}

export interface Sampler {
  readonly kind: SamplerKind;
  /**
   * Parameters of trial `index`. Deterministic: the same seed, index and observations give the same
   * parameters, so a workflow replay proposes the same trials. Its only randomness is seeded from
   * (seed, index).
   */
  propose(index: number, observations: readonly Observation[]): XGBoostParams;
}

/** Random search: trial `index` is independent of every observation. */
export function createRandomSampler(seed: number, space: SearchSpace = SEARCH_SPACE): Sampler {
  return { kind: 'random', propose: (index) => trialParams(seed, index, space) };
}
