import { runTrialBatchWith } from '../../src/activities/trial-batch';
import type {
  RunTrialBatchInput,
  RunTrialBatchResult,
  RunTrialInput,
  TrialResult,
} from '../../src/contracts';

/**
 * A test's fake runTrial, also served as runTrialBatch through the real batching code (heartbeats, resume,
 * outcomes): searches since patch 'trial-batches' schedule batches.
 */
export function trialActivitiesOf(runTrial: (input: RunTrialInput) => Promise<TrialResult>): {
  runTrial: (input: RunTrialInput) => Promise<TrialResult>;
  runTrialBatch: (input: RunTrialBatchInput) => Promise<RunTrialBatchResult>;
} {
  return {
    runTrial,
    runTrialBatch: (input) => runTrialBatchWith((trial) => runTrial(trial), input),
  };
}
