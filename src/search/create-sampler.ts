/**
 * The sampler a search uses, by kind. Imported by Temporal workflow code: pure, no runtime imports
 * except the project's own pure modules.
 */
import type { SamplerKind } from '../contracts';
import { createRandomSampler, type Sampler } from './sampler';
import { createTpeSampler, type TpeOptions } from './tpe';

export function createSampler(kind: SamplerKind, seed: number, options: { tpe?: TpeOptions } = {}): Sampler {
  switch (kind) {
    case 'random':
      return createRandomSampler(seed);
    case 'tpe':
      return createTpeSampler(seed, options.tpe);
  }
}
