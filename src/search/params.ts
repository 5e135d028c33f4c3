/** Validation of XGBoost hyperparameters given from outside (CLI, workflow input, stored trials). */
import { z } from 'zod';
import type { XGBoostParams } from '../contracts/domain';

const positiveInt = z.number().int().positive();
const nonNegative = z.number().nonnegative();
const fraction = z.number().gt(0).lte(1);

const paramsSchema = z.strictObject({
  n_estimators: positiveInt,
  max_depth: z.number().int().nonnegative(),
  learning_rate: z.number().gt(0).lte(1),
  gamma: nonNegative,
  reg_alpha: nonNegative,
  reg_lambda: nonNegative,
  subsample: fraction,
  colsample_bytree: fraction,
  min_child_weight: nonNegative.optional(),
  seed: z.number().int().nonnegative().optional(),
});

/** Accepts any valid XGBoost values (not only the search space's ranges); unknown keys are rejected to catch typos. */
export function validateParams(obj: unknown): XGBoostParams {
  const result = paramsSchema.safeParse(obj);
  if (!result.success) throw new Error(`invalid XGBoost params: ${z.prettifyError(result.error)}`);
  return result.data;
}
