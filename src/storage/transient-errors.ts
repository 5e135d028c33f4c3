/**
 * Which store errors are infrastructure faults that a later attempt can get past (the store unreachable,
 * throttling, timeouts, server errors), as opposed to errors no retry can fix (a missing object, bad
 * credentials, a malformed request).
 */

/** Socket-level failures: the store is unreachable or the connection broke. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** S3 and AWS SDK error names for throttling, timeouts and server-side faults. */
const TRANSIENT_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'InternalError',
]);

const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504]);

function field(err: object, name: string): unknown {
  return name in err ? (err as Record<string, unknown>)[name] : undefined;
}

/** True when `err` or any error in its `cause` chain is a transient infrastructure fault. */
export function isTransientStoreError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; typeof e === 'object' && e !== null && depth < 8; depth++) {
    const code = field(e, 'code');
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
    const name = field(e, 'name');
    if (typeof name === 'string' && TRANSIENT_NAMES.has(name)) return true;
    const metadata = field(e, '$metadata') as { httpStatusCode?: number } | undefined;
    if (metadata?.httpStatusCode !== undefined && TRANSIENT_STATUS.has(metadata.httpStatusCode)) return true;
    const retryable = field(e, '$retryable');
    if (typeof retryable === 'object' && retryable !== null) return true;
    e = field(e, 'cause');
  }
  return false;
}
