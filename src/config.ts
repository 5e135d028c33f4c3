import fs from 'node:fs';
import { z } from 'zod';
import { LOG_LEVELS } from './common/logger';
import type { EngineChoice } from './contracts/domain';
import type { S3Options } from './storage/s3-store';
import { STORAGE_URI, STORAGE_URI_EXPECTED } from './storage/storage-uri';

/** TLS towards Temporal (Temporal Cloud, a secured cluster): PEM file paths, named as the Temporal CLI does. */
export interface TemporalTlsSettings {
  /** TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY: the client certificate pair (mTLS). */
  certPath?: string;
  keyPath?: string;
  /** TEMPORAL_TLS_CA: the server's CA when it is not a public one (self-signed, private CA). */
  caPath?: string;
  /** TEMPORAL_TLS_SERVER_NAME: when the certificate's name differs from the address's host. */
  serverName?: string;
}

/** Settings shared by the worker, the client and the dev launcher; read once from the environment. */
export interface AppConfig {
  temporalAddress: string;
  namespace: string;
  /** Workflows and light activities (prepare, register, predict, data state). */
  taskQueue: string;
  /** Trial activities only; served by training threads. */
  trialTaskQueue: string;
  /** Where the `{prefix}_{year}.csv` objects live (the seed's BUCKET_NAME). */
  dataUri: string;
  /** Where prepared data sets, models and the registry live. */
  artifactsUri: string;
  s3: S3Options;
  /** Undefined: plain connection. Set by any TEMPORAL_TLS_* variable, TEMPORAL_TLS=true or an API key. */
  temporalTls?: TemporalTlsSettings;
  /** TEMPORAL_API_KEY (Temporal Cloud API keys); implies TLS. */
  temporalApiKey?: string;
  /** XGBOOST_ENGINE: the default of `--engine`. */
  xgboostEngine: EngineChoice;
}

export const DEFAULTS = {
  temporalAddress: 'localhost:7233',
  namespace: 'default',
  taskQueue: 'traffic-ml',
  trialTaskQueue: 'traffic-ml-trials',
  dataUri: 'file://data/sample',
  artifactsUri: 'file://.artifacts',
} as const;

const booleanText = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const readableFile = z.string().refine((file) => {
  try {
    fs.accessSync(file, fs.constants.R_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}, 'must be the path of a readable PEM file');

const storageUri = z.string().regex(STORAGE_URI, STORAGE_URI_EXPECTED);

const envSchema = z.object({
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'must be host:port')
    .default(DEFAULTS.temporalAddress),
  TEMPORAL_NAMESPACE: z.string().min(1).default(DEFAULTS.namespace),
  TASK_QUEUE: z.string().min(1).default(DEFAULTS.taskQueue),
  TRIAL_TASK_QUEUE: z.string().min(1).default(DEFAULTS.trialTaskQueue),
  DATA_URI: storageUri.default(DEFAULTS.dataUri),
  ARTIFACTS_URI: storageUri.default(DEFAULTS.artifactsUri),
  S3_ENDPOINT: z.string().url('must be a URL such as http://localhost:9000').optional(),
  S3_FORCE_PATH_STYLE: booleanText.optional(),
  S3_REQUEST_TIMEOUT_MS: z
    .string()
    .regex(/^[1-9]\d*$/, 'must be a whole number of milliseconds, e.g. 30000')
    .transform(Number)
    .optional(),
  AWS_REGION: z.string().optional(),
  TEMPORAL_TLS: booleanText.optional(),
  TEMPORAL_TLS_CERT: readableFile.optional(),
  TEMPORAL_TLS_KEY: readableFile.optional(),
  TEMPORAL_TLS_CA: readableFile.optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  XGBOOST_ENGINE: z
    .enum(['auto', 'native', 'wasm'], { message: 'must be auto, native or wasm' })
    .default('auto'),
  LOG_LEVEL: z
    .string()
    .transform((v) => v.trim().toLowerCase())
    .pipe(z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` }))
    .optional(),
  LOG_FORMAT: z.enum(['text', 'json'], { message: 'must be text or json' }).optional(),
});

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Environment variables through `schema` (unset and empty alike count as absent); one error naming each bad variable. */
export function parseEnvironment<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  return parsed.data;
}

/** Parses configuration from environment variables; invalid values fail with one message naming each variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const e = parseEnvironment(envSchema, env);
  if ((e.TEMPORAL_TLS_CERT === undefined) !== (e.TEMPORAL_TLS_KEY === undefined)) {
    throw new ConfigError(
      'invalid configuration: TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together (client certificate and its key)',
    );
  }
  const tlsSettings: TemporalTlsSettings = {
    certPath: e.TEMPORAL_TLS_CERT,
    keyPath: e.TEMPORAL_TLS_KEY,
    caPath: e.TEMPORAL_TLS_CA,
    serverName: e.TEMPORAL_TLS_SERVER_NAME,
  };
  const tlsOn =
    e.TEMPORAL_TLS ??
    (Object.values(tlsSettings).some((v) => v !== undefined) || e.TEMPORAL_API_KEY !== undefined);
  return {
    temporalAddress: e.TEMPORAL_ADDRESS,
    namespace: e.TEMPORAL_NAMESPACE,
    taskQueue: e.TASK_QUEUE,
    trialTaskQueue: e.TRIAL_TASK_QUEUE,
    dataUri: e.DATA_URI,
    artifactsUri: e.ARTIFACTS_URI,
    s3: {
      endpoint: e.S3_ENDPOINT,
      // MinIO and moto need path-style addressing; AWS itself does not.
      forcePathStyle: e.S3_FORCE_PATH_STYLE ?? e.S3_ENDPOINT !== undefined,
      region: e.AWS_REGION,
      requestTimeoutMs: e.S3_REQUEST_TIMEOUT_MS,
    },
    temporalTls: tlsOn ? tlsSettings : undefined,
    temporalApiKey: e.TEMPORAL_API_KEY,
    xgboostEngine: e.XGBOOST_ENGINE,
  };
}
