import { stopsAtRung } from '../../src/search/asha';
import { mustStoreModel } from '../../src/search/model-bound';
import type { RunTrialInput, TrialResult } from '../../src/contracts';

/**
 * A fake trial with a validation curve: its final RMSE is a function of the parameters, its RMSE after r
 * rounds is worse by a factor (1 + 20/r); it honours the rung cut-offs and the model bound as the real one does.
 */
export function curveTrial(input: RunTrialInput): TrialResult {
  const p = input.params;
  const final = 300 + Math.abs(p.max_depth - 6) * 40 + Math.abs(Math.log(p.learning_rate / 0.1)) * 60;
  const total = p.n_estimators;
  const rungScores: number[] = [];
  let reached = total;
  let pruned = false;
  for (const [k, rung] of (input.pruning?.rounds ?? []).entries()) {
    if (rung > total) break;
    rungScores.push(final * (1 + 20 / rung));
    if (rung < total && stopsAtRung(input.pruning!, k, rungScores[k])) {
      reached = rung;
      pruned = true;
      break;
    }
  }
  const rmse = final * (1 + 20 / reached);
  const result: TrialResult = {
    trialId: input.trialId,
    params: p,
    metrics: { rmse, mae: rmse / 2, r2: 0.5 },
    trainMs: 1,
    rounds: reached,
    roundsTrained: reached,
    engine: 'native',
    engineVersion: 'test',
    rungScores,
  };
  if (mustStoreModel(rmse, input.storeModelIfRmseAtMost)) result.modelRef = `models/${input.trialId}`;
  if (pruned) result.pruned = true;
  return result;
}
