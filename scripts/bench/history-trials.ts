import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { RunTrialBatchInput, RunTrialInput } from '../../src/contracts';

/**
 * The trial ids an ActivityTaskScheduled event of a search history starts: one for `runTrial`, each trial
 * of a `runTrialBatch` (patch 'trial-batches'); undefined for any other event.
 */
export function scheduledTrialIds(event: temporal.api.history.v1.IHistoryEvent): string[] | undefined {
  const a = event.activityTaskScheduledEventAttributes;
  const payload = a?.input?.payloads?.[0];
  if (!a || !payload) return undefined;
  if (a.activityType?.name === 'runTrial') {
    return [defaultPayloadConverter.fromPayload<RunTrialInput>(payload).trialId];
  }
  if (a.activityType?.name === 'runTrialBatch') {
    return defaultPayloadConverter.fromPayload<RunTrialBatchInput>(payload).trials.map((t) => t.trialId);
  }
  return undefined;
}
