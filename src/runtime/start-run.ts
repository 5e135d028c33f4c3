import type { Client, WorkflowHandle } from '@temporalio/client';
import { withSearchAttributeFallback } from './search-attribute-fallback';

export class DuplicateRunIdError extends Error {
  override name = 'DuplicateRunIdError';
}

/**
 * Starts a run under `workflowId` (the caller sets WorkflowIdReusePolicy REJECT_DUPLICATE), without typed
 * search attributes when the namespace lacks them; a taken id fails naming the run that holds it.
 */
export async function startRun<T extends WorkflowHandle>(
  client: Client,
  workflowId: string,
  start: (withSearchAttributes: boolean) => Promise<T>,
): Promise<T> {
  try {
    return await withSearchAttributeFallback(client.options.namespace, start);
  } catch (err) {
    if ((err as Error).name !== 'WorkflowExecutionAlreadyStartedError') throw err;
    const existing = await client.workflow
      .getHandle(workflowId)
      .describe()
      .catch(() => undefined);
    const held = existing
      ? `a ${existing.status.name} ${existing.type} run (started ${existing.startTime.toISOString()}${existing.closeTime ? `, closed ${existing.closeTime.toISOString()}` : ''})`
      : 'another run';
    throw new DuplicateRunIdError(
      `run id "${workflowId}" is already taken by ${held}; choose another --run-id or leave it out for a generated one`,
      { cause: err },
    );
  }
}
