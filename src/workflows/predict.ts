import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../contracts';
import type { PredictInput, PredictResult } from '../contracts';

const { predict } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: ['InvalidInput', 'RegistryError'] },
});

/** The seed's `predict` pipeline: score rows with a registered model version (default: the champion). */
export async function predictWorkflow(input: PredictInput): Promise<PredictResult> {
  return await predict(input);
}
