import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { FindTrainingInput, TrainingLookup, TrainingResult } from '../contracts';

/**
 * The outcome of an existing training workflow, looked up when a check's child start collides with it: a
 * completed one's result lets the check commit the state an earlier check could not.
 */
export async function findTrainingWith(input: FindTrainingInput): Promise<TrainingLookup> {
  const handle = Context.current().client.workflow.getHandle(input.workflowId);
  let status: string;
  try {
    status = (await handle.describe()).status.name;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { status: 'not-found' };
    throw err;
  }
  if (status === 'RUNNING') return { status: 'running' };
  if (status !== 'COMPLETED') return { status: 'failed' };
  return { status: 'completed', result: (await handle.result()) as TrainingResult };
}
