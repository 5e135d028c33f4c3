import { ApplicationFailure } from '@temporalio/activity';

/** Bad input that no retry can fix: the workflow sees it at once with this type. */
export function nonRetryable(
  type: 'DatasetError' | 'InvalidInput' | 'RegistryError' | 'InvalidParams',
  message: string,
) {
  return ApplicationFailure.nonRetryable(message, type);
}
