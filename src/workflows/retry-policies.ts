import type { RetryPolicy } from '@temporalio/workflow';

/**
 * The retry of activities that read data and the registry: infrastructure faults retry with backoff, bad data,
 * a bad registry record or bad input never succeed and fail at once.
 */
export const DATA_ACTIVITY_RETRY: RetryPolicy = {
  initialInterval: '2 seconds',
  backoffCoefficient: 2,
  maximumAttempts: 5,
  nonRetryableErrorTypes: ['DatasetError', 'RegistryError', 'InvalidInput'],
};
