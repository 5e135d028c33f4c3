import { Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { loadConfig } from '../config';
import { openBlobStore } from '../storage/from-uri';
import { loadServeConfig } from './serve-config';
import { startService } from './service';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number');
  return n;
}

async function main(): Promise<void> {
  const opts = new Command('serve')
    .description('HTTP prediction service: the champion online, following the registry alias.')
    .option('--host <host>', 'listen address (default $HOST or 127.0.0.1)')
    .option('--port <port>', 'listen port (default $PORT or 8080)', port)
    .option('--model-name <name>', 'registered model name (default $MODEL_NAME)')
    .showHelpAfterError()
    .parse()
    .opts<{ host?: string; port?: number; modelName?: string }>();
  const app = loadConfig();
  const config = {
    ...loadServeConfig(),
    ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)),
  };
  // Asynchronous, buffered log writes keep the request path off the terminal; flushed on exit.
  const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  const log = pino({ level: config.logLevel }, destination);
  const service = await startService(config, openBlobStore(app.artifactsUri, app.s3), log);
  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down: finishing requests, flushing the prediction log');
    service
      .close()
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
}

main().catch((err: unknown) => {
  console.error(`serve: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
