import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { ConfigError, parseEnvironment } from '../config';

/** Settings of the prediction service: environment variables, overridable by flags of `npm run serve`. */
export interface ServeConfig {
  host: string;
  port: number;
  modelName: string;
  /** Largest request body in bytes (413 beyond). */
  bodyLimit: number;
  /** Between two polls of the champion alias. */
  pollMs: number;
  /** Whether served rows are logged to the artifact store. */
  predictionLog: boolean;
  logFlushRows: number;
  logFlushMs: number;
  logLevel: string;
  /** Most rows one `POST /explain` may ask for (413 beyond); default 1000. */
  explainMaxRows?: number;
  /** Bearer tokens accepted on every route but /healthz, /readyz (and /metrics unless metricsAuth). */
  apiKeys?: string[];
  /** /metrics asks for a key too. */
  metricsAuth?: boolean;
  /** Listen beyond loopback without keys. */
  insecure?: boolean;
  /** PEM files for HTTPS; both or neither. */
  tlsCert?: string;
  tlsKey?: string;
  /** Prediction-log rows held in memory while the store is away; beyond them batches spill to disk. */
  logBufferRows?: number;
  /** Where prediction-log batches wait on disk for the store; unset: spilling is off and excess rows are dropped (counted). */
  logSpillDir?: string;
  /** Bytes the spill directory may hold; beyond them rows are dropped, counted and alerted. */
  logSpillBytes?: number;
  /** Service processes sharing the port (node cluster); 1 runs in this process alone. Default: one per CPU. */
  processes?: number;
}

export const DEFAULT_EXPLAIN_MAX_ROWS = 1000;
export const DEFAULT_LOG_BUFFER_ROWS = 50_000;
export const DEFAULT_LOG_SPILL_BYTES = 1024 * 1024 * 1024;

const positiveInt = z.coerce.number().int().positive();

const envSchema = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  MODEL_NAME: z.string().min(1).default('traffic-volume-predictor'),
  SERVE_BODY_LIMIT: positiveInt.default(1024 * 1024),
  SERVE_POLL_MS: positiveInt.default(2000),
  SERVE_EXPLAIN_MAX_ROWS: positiveInt.default(DEFAULT_EXPLAIN_MAX_ROWS),
  SERVE_API_KEYS: z.string().optional(),
  SERVE_METRICS_AUTH: z.enum(['true', 'false']).default('false'),
  SERVE_TLS_CERT: z.string().optional(),
  SERVE_TLS_KEY: z.string().optional(),
  PREDICTION_LOG: z.enum(['true', 'false']).default('true'),
  PREDICTION_LOG_ROWS: positiveInt.default(5000),
  PREDICTION_LOG_FLUSH_MS: positiveInt.default(10_000),
  PREDICTION_LOG_BUFFER_ROWS: positiveInt.default(DEFAULT_LOG_BUFFER_ROWS),
  PREDICTION_LOG_SPILL_DIR: z.string().default('.prediction-log-spill'),
  PREDICTION_LOG_SPILL_BYTES: positiveInt.default(DEFAULT_LOG_SPILL_BYTES),
  SERVE_PROCESSES: z
    .union([z.literal('auto'), z.coerce.number().int().min(1).max(64)])
    .default('auto')
    .transform((v) => (v === 'auto' ? availableParallelism() : v)),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export function loadServeConfig(env: NodeJS.ProcessEnv = process.env): ServeConfig {
  const e = parseEnvironment(envSchema, env);
  if ((e.SERVE_TLS_CERT === undefined) !== (e.SERVE_TLS_KEY === undefined))
    throw new ConfigError('invalid configuration: SERVE_TLS_CERT and SERVE_TLS_KEY must be set together');
  return {
    host: e.HOST,
    port: e.PORT,
    modelName: e.MODEL_NAME,
    bodyLimit: e.SERVE_BODY_LIMIT,
    pollMs: e.SERVE_POLL_MS,
    predictionLog: e.PREDICTION_LOG === 'true',
    logFlushRows: e.PREDICTION_LOG_ROWS,
    logFlushMs: e.PREDICTION_LOG_FLUSH_MS,
    logLevel: e.LOG_LEVEL,
    explainMaxRows: e.SERVE_EXPLAIN_MAX_ROWS,
    apiKeys: e.SERVE_API_KEYS === undefined ? [] : parseApiKeys(e.SERVE_API_KEYS),
    metricsAuth: e.SERVE_METRICS_AUTH === 'true',
    tlsCert: e.SERVE_TLS_CERT,
    tlsKey: e.SERVE_TLS_KEY,
    logBufferRows: e.PREDICTION_LOG_BUFFER_ROWS,
    logSpillDir: e.PREDICTION_LOG_SPILL_DIR,
    logSpillBytes: e.PREDICTION_LOG_SPILL_BYTES,
    processes: e.SERVE_PROCESSES,
  };
}

/** `SERVE_API_KEYS`: keys separated by commas, or `@path` to a file with one key per line (or commas). */
export function parseApiKeys(value: string): string[] {
  let text = value;
  if (value.startsWith('@')) {
    const file = value.slice(1);
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`SERVE_API_KEYS: cannot read key file ${file} (${(err as Error).message})`);
    }
  }
  const keys = text
    .split(/[,\r\n]/)
    .map((k) => k.trim())
    .filter((k) => k !== '' && !k.startsWith('#'));
  if (keys.length === 0) throw new ConfigError('SERVE_API_KEYS: no key given');
  return keys;
}

/** Whether `host` is a loopback address (the only kind the service listens on without keys unless --insecure). */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
