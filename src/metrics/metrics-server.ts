import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WorkerMetrics } from './worker-metrics';

export interface MetricsServerOptions {
  port: number;
  /** Default: every interface, so Prometheus in another container can scrape it. */
  host?: string;
  metrics: WorkerMetrics;
  /** The SDK's Prometheus exporter, merged into every scrape so one target carries both. */
  sdkMetricsUrl?: string;
  /** Liveness for GET /healthz: ok when the process does its job; the detail is the response body. */
  health?: () => { ok: boolean; detail: string };
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

const SDK_SCRAPE_TIMEOUT_MS = 5_000;

/** GET /metrics (Prometheus text format) and GET /healthz for one worker process. */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return reply(res, 405, 'only GET\n');
    if (path === '/metrics') {
      scrape(options).then(
        (body) => reply(res, 200, body, options.metrics.registry.contentType),
        // The SDK exporter lives in this process: when it does not answer, the target is unhealthy.
        (err: Error) => reply(res, 503, `temporal sdk metrics unavailable: ${err.message}\n`),
      );
      return;
    }
    if (path === '/healthz') {
      const health = options.health?.() ?? { ok: true, detail: 'ok' };
      return reply(res, health.ok ? 200 : 503, `${health.detail}\n`);
    }
    reply(res, 404, 'not found: try /metrics or /healthz\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? 'localhost'}:${port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function scrape(options: MetricsServerOptions): Promise<string> {
  const own = await options.metrics.registry.metrics();
  if (!options.sdkMetricsUrl) return own;
  const response = await fetch(options.sdkMetricsUrl, { signal: AbortSignal.timeout(SDK_SCRAPE_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`${options.sdkMetricsUrl} answered ${response.status}`);
  const sdk = await response.text();
  return `${sdk.trimEnd()}\n${own}`;
}

function reply(res: http.ServerResponse, status: number, body: string, contentType = 'text/plain'): void {
  res.writeHead(status, { 'content-type': contentType }).end(body);
}
