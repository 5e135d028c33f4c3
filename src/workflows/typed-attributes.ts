import { workflowInfo } from '@temporalio/workflow';
import { MODEL_NAME } from './search-attributes';

/**
 * Whether this run was started with the project's typed search attributes. A client falls back to starting
 * without them when the namespace lacks them (Temporal Cloud before they are created); upserting them then
 * would fail every workflow task, so the run leaves them out too.
 */
export function hasTypedSearchAttributes(): boolean {
  return workflowInfo().typedSearchAttributes.get(MODEL_NAME) !== undefined;
}
