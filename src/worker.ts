import { Runtime } from '@temporalio/worker';
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadConfig } from './config';
import { startMetricsServer } from './metrics/metrics-server';
import { sdkPrometheusExporter } from './metrics/sdk-exporter';
import { WorkerMetrics } from './metrics/worker-metrics';
import { describeEngineAvailability } from './ml/engines/select-engine';
import { registerSearchAttributes } from './runtime/dev-server';
import { createWorkers } from './runtime/workers';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

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
    .showHelpAfterError()
    .parse();
  const opts = program.opts<{
    threads?: number;
    nthread: number;
    concurrency: number;
    queues: string;
    metricsPort?: number;
  }>();
  const config = loadConfig();
  // The SDK's exporter is part of the Runtime, which must be installed before any connection exists.
  const telemetry =
    opts.metricsPort === undefined
      ? undefined
      : { port: opts.metricsPort, sdk: await sdkPrometheusExporter(), metrics: new WorkerMetrics() };
  if (telemetry) Runtime.install({ telemetryOptions: { metrics: telemetry.sdk.metrics } });
  // Idempotent: lets the Web UI filter runs by model, trigger and RMSE on any server this worker joins.
  await registerSearchAttributes(config.temporalAddress, config.namespace).catch((err: Error) =>
    console.warn(`worker: could not register search attributes (${err.message}); runs will still work`),
  );
  const running = await createWorkers({
    config,
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
  console.log(
    `worker: ${config.temporalAddress} namespace=${config.namespace} queues=${running.workers.map((w) => w.options.taskQueue).join(',')} ` +
      `training threads=${running.trainingThreads} engine: ${describeEngineAvailability()}`,
  );
  if (metricsServer) console.log(`worker: metrics on ${metricsServer.url}`);
  console.log('worker: running; Ctrl-C (SIGINT) or SIGTERM stops it after in-flight tasks finish');
  await running.run();
  await metricsServer?.close();
  console.log('worker: stopped');
}

main().catch((err) => {
  console.error(`worker: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
