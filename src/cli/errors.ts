import { connectFailureReason } from '../runtime/temporal-connection';

/**
 * One line for the user: for a failed workflow its innermost cause; otherwise the message followed by the
 * causes that add to it (the SDK's "Failed to start Workflow" says why only in its cause).
 */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const messages: string[] = [];
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const message = e.name === 'ServiceError' || /^\d+ [A-Z_]+:/.test(e.message) ? grpcText(e) : e.message;
    if (message && !messages.some((m) => m.includes(message))) messages.push(message);
  }
  if (err.name === 'WorkflowFailedError' && messages.length > 1)
    return `workflow failed: ${messages[messages.length - 1]}`;
  return messages.join(': ');
}

/** gRPC errors read "3 INVALID_ARGUMENT: <details>"; the details are what a user needs. */
function grpcText(err: Error): string {
  const details = /^\d+ [A-Z_]+: (.*)$/s.exec(err.message)?.[1];
  if (details) return details.trim();
  return /unavailable|connect/i.test(err.message) ? connectFailureReason(err) : err.message;
}
