import { Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { loadConfig } from './config';
import { openBlobStore } from './storage/from-uri';
import { loadServeConfig } from './serve/serve-config';
import { startService, type RunningService } from './serve/service';
import { answerClusterMetricsRequests, clusterMetricsSource } from './serve/cluster-metrics';
import { runServiceProcesses, serviceWorkerIndex } from './serve/service-processes';
import cluster from 'node:cluster';
import path from 'node:path';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number');
  return n;
}

/**
 * Logs: one JSON line per event (pino) on stdout, written asynchronously but not held back, so the request
 * path never waits on the terminal and nothing sits in a buffer; flushed on exit. The start-up line and fatal
 * errors are also printed as plain text on stderr, at once.
 */
async function main(): Promise<void> {
  const opts = new Command('serve')
    .description('HTTP prediction service: the champion online, following the registry alias.')
    .option('--host <host>', 'listen address (default $HOST or 127.0.0.1)')
    .option('--port <port>', 'listen port (default $PORT or 8080)', port)
    .option('--model-name <name>', 'registered model name (default $MODEL_NAME)')
    .option('--metrics-auth', 'GET /metrics needs an API key too (default: open, like /healthz and /readyz)')
    .option('--insecure', 'listen on a non-loopback address without API keys')
    .showHelpAfterError()
    .parse()
    .opts<{ host?: string; port?: number; modelName?: string; metricsAuth?: boolean; insecure?: boolean }>();
  const app = loadConfig();
  const config = {
    ...loadServeConfig(),
    ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)),
  };
  const processes = config.processes ?? 1;
  if (processes > 1 && cluster.isPrimary) {
    runServiceProcesses(processes);
    answerClusterMetricsRequests();
    return;
  }
  const worker = serviceWorkerIndex();
  const name = worker === undefined ? 'serve' : `serve[${worker + 1}/${processes}]`;
  // Each process ships (and after a restart, re-ships) only its own spilled batches.
  if (worker !== undefined && config.logSpillDir)
    config.logSpillDir = path.join(config.logSpillDir, `process-${worker + 1}`);
  const destination = pino.destination({ dest: 1, sync: false });
  const log = pino({ level: config.logLevel }, destination);
  // Set once started; a signal during start-up exits without a service to close.
  const running: { service?: RunningService } = {};
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing requests, flushing the prediction log');
    process.stderr.write(`${name}: ${signal}: finishing requests, flushing the prediction log\n`);
    (running.service?.close() ?? Promise.resolve())
      .then(() => {
        log.info('stopped');
        destination.flushSync();
        process.exit(0);
      })
      .catch((err: unknown) => {
        log.error({ err }, 'shutdown failed');
        destination.flushSync();
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.stderr.write(`${name}: starting: model ${config.modelName} from ${app.artifactsUri}\n`);
  const hooks = worker === undefined ? {} : { metricsSource: clusterMetricsSource };
  const service = await startService(config, openBlobStore(app.artifactsUri, app.s3), log, hooks);
  running.service = service;
  const champion = service.holder.champion;
  process.stderr.write(
    `${name}: listening on ${service.url}, model ${config.modelName} ` +
      (champion
        ? `version ${champion.version}`
        : `(${service.holder.unavailable ?? 'no champion yet: 503 until one is promoted'})`) +
      '\n',
  );
}

main().catch((err: unknown) => {
  console.error(`serve: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
