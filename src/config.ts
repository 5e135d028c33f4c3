import { z } from 'zod';
import type { S3Options } from './storage/s3-store';

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

const storageUri = z
  .string()
  .regex(/^(s3:\/\/[a-z0-9.-]{3,63}(\/.*)?|file:\/\/.+)$/, 'must look like s3://bucket/prefix or file://dir');

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
  AWS_REGION: z.string().optional(),
});

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses configuration from environment variables; invalid values fail with one message naming each variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  const e = parsed.data;
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
    },
  };
}
