import { ApplicationFailure } from '@temporalio/activity';

/** Bad input that no retry can fix: the workflow sees it at once with this type. */
export function nonRetryable(
  type:
    'DatasetError' | 'InvalidInput' | 'RegistryError' | 'InvalidParams' | 'TrialFailed' | 'MlflowRejected',
  message: string,
) {
  return ApplicationFailure.nonRetryable(message, type);
}

/**
 * An infrastructure fault (store unreachable, throttled, timed out): retryable, and retried for the whole
 * infrastructure retry window of the caller's retry policy, not counted as a failure of the work itself.
 */
export function infrastructureFault(message: string, cause: unknown) {
  return ApplicationFailure.create({
    type: 'InfrastructureFault',
    message,
    nonRetryable: false,
    cause: cause instanceof Error ? cause : undefined,
  });
}
