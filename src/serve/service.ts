import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { createTrialPool, type TrialPool } from '../ml/trial-pool';
import { ModelRegistry } from '../registry/model-registry';
import type { BlobStore } from '../storage/blob-store';
import { ChampionWatcher } from './champion-watcher';
import { loadModel } from './loaded-model';
import { ServiceMetrics } from './metrics';
import { ModelHolder } from './model-holder';
import { PredictionLog } from './prediction-log';
import type { ServeConfig } from './serve-config';
import { buildServer } from './server';

export interface RunningService {
  app: FastifyInstance;
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  watcher: ChampionWatcher;
  holder: ModelHolder;
  predictionLog?: PredictionLog;
  /** Stops accepting, finishes in-flight requests, flushes the prediction log, frees the models. */
  close(): Promise<void>;
}

/** Assembles and starts the service: loads the champion (if any), follows the alias, listens. */
export async function startService(
  config: ServeConfig,
  artifacts: BlobStore,
  log: Logger = pino({ level: config.logLevel }),
): Promise<RunningService> {
  const registry = new ModelRegistry(artifacts);
  const metrics = new ServiceMetrics();
  let wasmPool: TrialPool | undefined;
  const deps = { artifacts, wasmPool: () => (wasmPool ??= createTrialPool({ threads: 1 })) };
  const load = async (version: number) => loadModel(deps, await registry.resolve(config.modelName, version));
  const holder = new ModelHolder(config.modelName, registry, load);
  const watcher = new ChampionWatcher({
    registry,
    holder,
    load,
    pollMs: config.pollMs,
    log,
    onSwap: (_from, to) => {
      metrics.swaps.inc();
      metrics.servedVersion.set(to);
    },
  });
  const predictionLog = config.predictionLog
    ? new PredictionLog({
        store: artifacts,
        maxRows: config.logFlushRows,
        flushMs: config.logFlushMs,
        log,
        onWritten: (rows) => metrics.loggedRows.inc(rows),
        onFailure: () => metrics.logFailures.inc(),
      })
    : undefined;
  await watcher.start();
  if (!holder.champion)
    log.warn({ model: config.modelName }, 'no champion yet: answering 503 until one is promoted');
  const app = buildServer({ holder, registry, metrics, predictionLog }, { bodyLimit: config.bodyLimit, log });
  const url = await app.listen({ host: config.host, port: config.port });
  log.info(
    { url, model: config.modelName, version: holder.champion?.version },
    'prediction service listening',
  );
  let closing: Promise<void> | undefined;
  return {
    app,
    url,
    watcher,
    holder,
    predictionLog,
    close: () =>
      (closing ??= (async () => {
        await watcher.stop();
        await app.close();
        await predictionLog?.flush();
        await holder.close();
        await wasmPool?.close();
      })()),
  };
}
