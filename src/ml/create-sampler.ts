/**
 * The sampler a search uses, by kind. Imported by Temporal workflow code: pure, no runtime imports
 * beyond src/ml.
 */
import { createRandomSampler, type Sampler, type SamplerKind } from './sampler';

// replaced at merge by the TPE implementation (src/ml/tpe.ts exports TpeOptions and createTpeSampler).
export interface TpeOptions {
  startupTrials?: number;
  gamma?: number;
  candidates?: number;
  multivariate?: boolean;
  priorWeight?: number;
}

// replaced at merge by the TPE implementation: 'tpe' returns the random sampler until then.
export function createSampler(kind: SamplerKind, seed: number, options?: { tpe?: TpeOptions }): Sampler {
  void options;
  const random = createRandomSampler(seed);
  return kind === 'tpe' ? { ...random, kind: 'tpe' } : random;
}
