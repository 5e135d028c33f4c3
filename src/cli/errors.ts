import { WorkflowFailedError } from '@temporalio/client';

/** One line for the user: the innermost cause of a failed workflow, or the error message. */
export function describeError(err: unknown): string {
  if (err instanceof WorkflowFailedError) {
    let cause: Error | undefined = err.cause;
    while (cause && 'cause' in cause && cause.cause instanceof Error) cause = cause.cause;
    return `workflow failed: ${cause?.message ?? err.message}`;
  }
  return err instanceof Error ? err.message : String(err);
}
