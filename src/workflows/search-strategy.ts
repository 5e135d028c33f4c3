import type { EngineChoice } from '../contracts/domain';
import type { SearchStrategy } from '../contracts';

/** The most trials one search may run (`--trials`). */
export const MAX_TRIALS = 100_000;

/** Defaults: TPE, reproducible proposals, ASHA unless the engine is wasm (it reports no validation curve). */
export function resolveStrategy(
  strategy: SearchStrategy | undefined,
  engine: EngineChoice,
): Required<SearchStrategy> {
  return {
    sampler: strategy?.sampler ?? 'tpe',
    pruning: strategy?.pruning ?? (engine === 'wasm' ? 'none' : 'asha'),
    reproducible: strategy?.reproducible ?? true,
  };
}
