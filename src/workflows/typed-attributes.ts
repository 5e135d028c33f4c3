import { patched, workflowInfo } from '@temporalio/workflow';
import { MODEL_NAME } from '../contracts/search-attributes';

/**
 * Whether this run should set the project's typed search attributes: only when it was started with them. A
 * client falls back to starting without them when the namespace lacks them (Temporal Cloud before they are
 * created); upserting them then would fail every workflow task. Histories from before this rule always set them.
 */
export function shouldSetSearchAttributes(): boolean {
  if (!patched('search-attributes-only-when-started-with-them')) return true;
  return workflowInfo().typedSearchAttributes.get(MODEL_NAME) !== undefined;
}
