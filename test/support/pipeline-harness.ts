import fs from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startS3ForTests, type TestS3 } from './s3-server';
import { devServerEnv } from './temporal';
import { tempDir } from './temp-dir';
import type { AppConfig } from '../../src/config';
import { createWorkers, type RunningWorkers } from '../../src/runtime/workers';
import { openBlobStore } from '../../src/storage/from-uri';
import type { RetrainCheckInput, TrainingInput } from '../../src/contracts';

export const SAMPLE_DIR = path.resolve(__dirname, '../../../data/sample');
export const FILE_PREFIX = 'Metro_Interstate_Traffic_Volume';

export { tempDir };

/** The environment of a `node dist/src/worker.js` child process serving `config`'s queues and stores on `env`. */
export function workerProcessEnv(env: TestWorkflowEnvironment, config: AppConfig): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TEMPORAL_ADDRESS: env.address,
    TASK_QUEUE: config.taskQueue,
    TRIAL_TASK_QUEUE: config.trialTaskQueue,
    DATA_URI: config.dataUri,
    ARTIFACTS_URI: config.artifactsUri,
  };
}

export function testConfig(overrides: Partial<AppConfig>): AppConfig {
  return {
    temporalAddress: 'unused',
    namespace: 'default',
    taskQueue: `main-${Math.random().toString(36).slice(2, 8)}`,
    trialTaskQueue: `trials-${Math.random().toString(36).slice(2, 8)}`,
    dataUri: `file://${SAMPLE_DIR}`,
    artifactsUri: `file://${tempDir('artifacts')}`,
    s3: { forcePathStyle: true },
    xgboostEngine: 'auto',
    ...overrides,
  };
}

/** Copies the committed synthetic sample into a store, as a user would upload it to a bucket. */
export async function uploadSample(
  uri: string,
  config: AppConfig,
  years = [2012, 2013, 2014, 2015, 2016],
): Promise<void> {
  const store = openBlobStore(uri, config.s3);
  for (const year of years) {
    const name = `${FILE_PREFIX}_${year}.csv`;
    await store.put(name, fs.readFileSync(path.join(SAMPLE_DIR, name)));
  }
}

export async function startTestWorkers(
  env: TestWorkflowEnvironment,
  config: AppConfig,
  trainingThreads = 2,
): Promise<RunningWorkers & { done: Promise<void> }> {
  const workers = await createWorkers({ config, connection: env.nativeConnection, trainingThreads });
  const done = workers.run();
  return { ...workers, done, shutdown: workers.shutdown };
}

export function trainingInput(config: AppConfig, overrides: Partial<TrainingInput> = {}): TrainingInput {
  return {
    modelName: 'traffic-test',
    dataUri: config.dataUri,
    filePrefix: FILE_PREFIX,
    years: [2012, 2013, 2014, 2015, 2016],
    validationYear: 2016,
    schema: {
      featureColumns: ['holiday', 'temp', 'rain_1h', 'snow_1h', 'clouds_all', 'weather_main'],
      dateTimeColumn: 'date_time',
      targetColumn: 'traffic_volume',
    },
    trials: 4,
    top: 2,
    parallelism: 2,
    seed: 42,
    engine: 'native',
    earlyStoppingRounds: 20,
    runFineTuning: true,
    registerModels: true,
    trigger: 'ad-hoc',
    ...overrides,
  };
}

/** Cheap fixed parameters for tests that only need some trained model. */
export const SMALL_PARAMS = {
  n_estimators: 60,
  max_depth: 5,
  learning_rate: 0.2,
  gamma: 0.1,
  reg_alpha: 0.1,
  reg_lambda: 1,
  subsample: 0.9,
  colsample_bytree: 0.9,
};

/** A retraining check that trains once with SMALL_PARAMS (fast), native engine, default policy. */
export function retrainInput(config: AppConfig, modelName = 'traffic-retrain'): RetrainCheckInput {
  return {
    dataUri: config.dataUri,
    filePrefix: FILE_PREFIX,
    training: {
      modelName,
      schema: {
        featureColumns: ['holiday', 'temp', 'rain_1h', 'snow_1h', 'clouds_all', 'weather_main'],
        dateTimeColumn: 'date_time',
        targetColumn: 'traffic_volume',
      },
      trials: 1,
      top: 1,
      parallelism: 2,
      seed: 42,
      engine: 'native',
      earlyStoppingRounds: 10,
      params: SMALL_PARAMS,
      runFineTuning: true,
      registerModels: true,
    },
    policy: { retrainOnDrift: false, retrainOnDecay: false, psiThreshold: 0.2, decayRatio: 1.25 },
    trigger: 'ad-hoc',
  };
}

/** Registers mocha hooks that start a dev server and an S3 server with conditional writes for the enclosing suite. */
export function useDevServerAndS3(): { env: TestWorkflowEnvironment; s3: TestS3 } {
  const infra = {} as { env: TestWorkflowEnvironment; s3: TestS3 };
  before(async () => {
    [infra.env, infra.s3] = await Promise.all([devServerEnv(), startS3ForTests({ conditionalWrites: true })]);
  });
  after(async () => {
    await infra.env?.teardown();
    await infra.s3?.stop();
  });
  return infra;
}
