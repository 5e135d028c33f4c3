import { Command, InvalidArgumentError, Option } from 'commander';
import { loadConfig } from './config';
import { startMetricsServer } from './metrics/metrics-server';
import { sdkPrometheusExporter } from './metrics/sdk-exporter';
import { WorkerMetrics } from './metrics/worker-metrics';
import { describeEngineAvailability } from './engines/select-engine';
import { positiveInt } from './runtime/arguments';
import { registerSearchAttributes } from './runtime/dev-server';
import { configureLogging, logger, verbosityOf } from './common/logger';
import { installTemporalRuntime } from './runtime/temporal-runtime';
import { connectWorker } from './runtime/temporal-connection';
import { createWorkers } from './runtime/workers';

function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError('must be a port (1-65535)');
  return n;
}

async function main(): Promise<void> {
  const program = new Command('worker')
    .description('Polls the traffic-ml task queues; run several, on one machine or many, to share the work.')
    .option(
      '--threads <n>',
      'training threads (trial slots) in this process; default: usable cores',
      positiveInt,
    )
    .option('--nthread <n>', 'XGBoost threads per trial', positiveInt, 1)
    .option('--concurrency <n>', 'light activities (prepare, register, predict) at once', positiveInt, 8)
    .addOption(
      new Option('--queues <which>', 'which task queues to poll')
        .choices(['all', 'main', 'trials'])
        .default('all'),
    )
    .addOption(
      new Option(
        '--metrics-port <port>',
        "serve Prometheus metrics (the Temporal SDK's and the pipeline's) on http://0.0.0.0:<port>/metrics; off when unset",
      )
        .env('METRICS_PORT')
        .argParser(portNumber),
    )
    .addOption(new Option('--quiet', 'warnings and errors only').conflicts('verbose'))
    .option('--verbose', 'debug logs (XGBoost, SDK and storage diagnostics)')
    .showHelpAfterError()
    .parse();
  const opts = program.opts<{
    threads?: number;
    nthread: number;
    concurrency: number;
    queues: string;
    metricsPort?: number;
    quiet?: boolean;
    verbose?: boolean;
  }>();
  configureLogging(verbosityOf(opts));
  const config = loadConfig();
  // The SDK's exporter is part of the Runtime, which must be installed before any connection exists.
  const telemetry =
    opts.metricsPort === undefined
      ? undefined
      : { port: opts.metricsPort, sdk: await sdkPrometheusExporter(), metrics: new WorkerMetrics() };
  installTemporalRuntime(telemetry ? { telemetryOptions: { metrics: telemetry.sdk.metrics } } : {});
  const connection = await connectWorker(config);
  // Idempotent: lets the Web UI filter runs by model, trigger and RMSE on any server this worker joins.
  await registerSearchAttributes(config).catch((err: Error) => logger.warn(err.message));
  const running = await createWorkers({
    config,
    connection,
    trainingThreads: opts.threads,
    nthreadPerTrial: opts.nthread,
    maxConcurrentActivities: opts.concurrency,
    serveMain: opts.queues !== 'trials',
    serveTrials: opts.queues !== 'main',
    metrics: telemetry?.metrics,
  });
  const metricsServer =
    telemetry &&
    (await startMetricsServer({
      port: telemetry.port,
      metrics: telemetry.metrics,
      sdkMetricsUrl: telemetry.sdk.url,
      health: () => running.health(),
    }));
  logger.info(
    `worker: ${config.temporalAddress} namespace=${config.namespace}${config.temporalTls ? ' (TLS)' : ''} queues=${running.workers.map((w) => w.options.taskQueue).join(',')} ` +
      `training threads=${running.trainingThreads} engine: ${describeEngineAvailability()}`,
  );
  if (metricsServer) logger.info(`worker: metrics on ${metricsServer.url}`);
  logger.info('worker: running; Ctrl-C (SIGINT) or SIGTERM stops it after in-flight tasks finish');
  await running.run();
  await metricsServer?.close();
  await connection.close();
  logger.info('worker: stopped');
}

main().catch((err) => {
  logger.error(`worker: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
