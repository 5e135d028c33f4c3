import type { FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createTrialPool, type TrialPool } from '../engines/trial-pool';
import { ModelRegistry } from '../registry/model-registry';
import type { BlobStore } from '../storage/blob-store';
import { ConfigError } from '../config';
import { ApiKeys } from './api-keys';
import { ChampionWatcher } from './champion-watcher';
import { loadModel } from './loaded-model';
import { ServiceMetrics } from './metrics';
import { ModelHolder } from './model-holder';
import { ModelsListing } from './models-listing';
import { PredictionLog, type DroppedRows } from './prediction-log';
import {
  DEFAULT_EXPLAIN_MAX_ROWS,
  DEFAULT_LOG_SPILL_BYTES,
  isLoopbackHost,
  type ServeConfig,
} from './serve-config';
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

export interface ServiceHooks {
  /** Served rows the prediction log could not keep (an alert module hooks in here). */
  onPredictionLogDropped?: (dropped: DroppedRows) => void;
  /** What `GET /metrics` answers with, given this process's registry (several processes: their aggregate). */
  metricsSource?: (registry: Registry) => () => Promise<string>;
}

/** Assembles and starts the service: loads the champion (if any), follows the alias, listens. */
export async function startService(
  config: ServeConfig,
  artifacts: BlobStore,
  log: Logger = pino({ level: config.logLevel }),
  hooks: ServiceHooks = {},
): Promise<RunningService> {
  const apiKeys = new ApiKeys(config.apiKeys ?? []);
  if (apiKeys.size === 0 && !isLoopbackHost(config.host) && !config.insecure) {
    throw new ConfigError(
      `refusing to listen on ${config.host} without API keys: set SERVE_API_KEYS, listen on 127.0.0.1, or pass --insecure`,
    );
  }
  const tls = readTls(config);
  const registry = new ModelRegistry(artifacts);
  const metrics = new ServiceMetrics();
  let pool: TrialPool | undefined;
  const deps = { artifacts, pool: () => (pool ??= createTrialPool({ threads: 1 })) };
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
        bufferRows: config.logBufferRows,
        spillDir: config.logSpillDir,
        spillBytes: config.logSpillBytes ?? DEFAULT_LOG_SPILL_BYTES,
        onWritten: (rows) => metrics.loggedRows.inc(rows),
        onFailure: () => metrics.logFailures.inc(),
        onDropped: (dropped) => {
          metrics.logDroppedRows.inc(dropped.rows);
          hooks.onPredictionLogDropped?.(dropped);
        },
        onHeld: (held) => {
          metrics.logMemoryRows.set(held.memoryRows);
          metrics.logSpilledBatches.set(held.spilledBatches);
          metrics.logSpilledBytes.set(held.spilledBytes);
        },
      })
    : undefined;
  await predictionLog?.start();
  await watcher.start();
  if (holder.unavailable) log.error({ model: config.modelName }, holder.unavailable);
  else if (!holder.champion)
    log.warn({ model: config.modelName }, 'no champion yet: answering 503 until one is promoted');
  const models = new ModelsListing(registry, config.modelName, config.pollMs);
  const app = buildServer(
    {
      holder,
      registry,
      metrics,
      metricsText: hooks.metricsSource?.(metrics.registry),
      models,
      predictionLog,
      explainMaxRows: config.explainMaxRows ?? DEFAULT_EXPLAIN_MAX_ROWS,
    },
    { bodyLimit: config.bodyLimit, log, apiKeys, metricsAuth: config.metricsAuth, tls },
  );
  const url = await app.listen({ host: config.host, port: config.port });
  log.info(
    {
      url,
      model: config.modelName,
      version: holder.champion?.version,
      auth: apiKeys.size > 0 ? `${apiKeys.size} API key(s)` : 'none',
      tls: tls !== undefined,
    },
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
        await predictionLog?.close();
        await holder.close();
        await pool?.close();
      })()),
  };
}

function readTls(config: ServeConfig): { cert: Buffer; key: Buffer } | undefined {
  if (config.tlsCert === undefined && config.tlsKey === undefined) return undefined;
  if (config.tlsCert === undefined || config.tlsKey === undefined)
    throw new ConfigError('SERVE_TLS_CERT and SERVE_TLS_KEY must be set together');
  const read = (file: string, name: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new ConfigError(`${name}: cannot read ${file} (${(err as Error).message})`);
    }
  };
  return { cert: read(config.tlsCert, 'SERVE_TLS_CERT'), key: read(config.tlsKey, 'SERVE_TLS_KEY') };
}
