/**
 * The "ensemble" model format: one registered version whose prediction is the mean of its members'
 * predictions. Stored as a small JSON artifact that names each member's stored model.
 */
import { z } from 'zod';
import type { EngineName } from '../contracts/domain';

export interface EnsembleMember {
  engine: EngineName;
  /** Artifact-store key of the member's serialised model. */
  modelRef: string;
  rounds: number;
}

export interface EnsembleModel {
  kind: 'ensemble';
  members: EnsembleMember[];
}

const ensembleSchema = z.object({
  kind: z.literal('ensemble'),
  members: z
    .array(
      z.object({
        engine: z.enum(['native', 'wasm']),
        modelRef: z.string().min(1),
        rounds: z.number().int().positive(),
      }),
    )
    .min(1),
}) satisfies z.ZodType<EnsembleModel>;

export function parseEnsembleModel(json: unknown): EnsembleModel {
  const result = ensembleSchema.safeParse(json);
  if (!result.success) throw new Error(`invalid ensemble model: ${z.prettifyError(result.error)}`);
  return result.data;
}

/** Element-wise mean of equally long prediction vectors. */
export function averagePredictions(predictions: readonly Float32Array[]): Float32Array {
  if (predictions.length === 0) throw new RangeError('no predictions to average');
  const n = predictions[0].length;
  const sum = new Float64Array(n);
  for (const p of predictions) {
    if (p.length !== n) throw new RangeError(`prediction lengths differ: ${p.length} vs ${n}`);
    for (let i = 0; i < n; i++) sum[i] += p[i];
  }
  const mean = new Float32Array(n);
  for (let i = 0; i < n; i++) mean[i] = sum[i] / predictions.length;
  return mean;
}
