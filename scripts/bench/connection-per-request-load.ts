/**
 * Closed-loop HTTP load with a new connection for every request, for servers that close the connection after
 * each answer (gunicorn's sync workers, the seed's kind of service: `Connection: close`, no keep-alive).
 *
 * Why not autocannon for those: autocannon writes the next request on the same socket as soon as an answer is
 * complete. The sync worker is already closing it, so that request is reset (ECONNRESET, counted as an error),
 * autocannon reconnects, and the reset request stays at the head of its queue: the next answer is matched to
 * it and its latency counts from the earlier write. That is how the anchor showed 1,789 errors and a p50 of
 * 2.4 s. Here each of `connections` loops opens a connection, sends one request, reads the whole answer, and
 * closes, as wrk does against such a server; latency counts from opening the connection to the last byte.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface ConnectionPerRequestOptions {
  url: string;
  connections: number;
  durationSeconds: number;
  body: string;
  headers?: Record<string, string>;
  /** A request without an answer after this long counts as an error (autocannon's default, 10 s). */
  timeoutMs?: number;
}

export interface LoadResult {
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Answered requests (any status). */
  requests: number;
  /** Connection errors, resets and timeouts. */
  errors: number;
  non2xx: number;
}

/** One POST on its own connection: the status, or the error. */
function postOnce(
  url: URL,
  body: Buffer,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        hostname: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: 'POST',
        agent: false,
        headers: { ...headers, connection: 'close', 'content-length': String(body.length) },
        timeout: timeoutMs,
      },
      (response) => {
        response.on('data', () => undefined);
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', reject);
    request.end(body);
  });
}

/** The `q` quantile (0..1) of ascending `sorted`, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

export async function connectionPerRequestLoad(options: ConnectionPerRequestOptions): Promise<LoadResult> {
  const url = new URL(options.url);
  const body = Buffer.from(options.body);
  const headers = options.headers ?? {};
  const timeoutMs = options.timeoutMs ?? 10_000;
  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;
  const started = performance.now();
  const end = started + options.durationSeconds * 1000;
  const loop = async (): Promise<void> => {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        const status = await postOnce(url, body, headers, timeoutMs);
        latencies.push(performance.now() - t0);
        if (status < 200 || status >= 300) non2xx++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: options.connections }, loop));
  const elapsedSeconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const ms = (value: number) => Math.round(value * 10) / 10;
  return {
    requestsPerSec: latencies.length / elapsedSeconds,
    p50Ms: ms(quantile(latencies, 0.5)),
    p99Ms: ms(quantile(latencies, 0.99)),
    requests: latencies.length,
    errors,
    non2xx,
  };
}
