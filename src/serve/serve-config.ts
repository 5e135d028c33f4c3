import { z } from 'zod';
import { parseEnvironment } from '../config';

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
}

const positiveInt = z.coerce.number().int().positive();

const envSchema = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  MODEL_NAME: z.string().min(1).default('traffic-volume-predictor'),
  SERVE_BODY_LIMIT: positiveInt.default(1024 * 1024),
  SERVE_POLL_MS: positiveInt.default(2000),
  PREDICTION_LOG: z.enum(['true', 'false']).default('true'),
  PREDICTION_LOG_ROWS: positiveInt.default(5000),
  PREDICTION_LOG_FLUSH_MS: positiveInt.default(10_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export function loadServeConfig(env: NodeJS.ProcessEnv = process.env): ServeConfig {
  const e = parseEnvironment(envSchema, env);
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
  };
}
