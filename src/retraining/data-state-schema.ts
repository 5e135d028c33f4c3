import { z } from 'zod';
import type { DataState } from './data-state';

const dataStateSchema = z.object({
  dataUri: z.string().min(1),
  objects: z.record(z.string().min(1), z.object({ etag: z.string(), size: z.number().int().nonnegative() })),
  committedAt: z.string().optional(),
  trainingWorkflowId: z.string().optional(),
  datasetHash: z.string().optional(),
  seq: z.number().int().positive().optional(),
  modelName: z.string().optional(),
  filePrefix: z.string().optional(),
});

/** Parses a data state read back from the artifact store; kept apart from data-state.ts so workflows need no zod. */
export function validateDataState(json: unknown): DataState {
  const parsed = dataStateSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new Error(`invalid data state: ${problems}`);
  }
  return parsed.data;
}
