/**
 * Graceful shutdown of a worker process's workers (issue 7, failure mode 9): a trial in flight when the worker
 * is told to stop runs to its end within the grace time and is recorded as completed, not cancelled or failed.
 */
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { MockActivityEnvironment } from '@temporalio/testing';
import { expect } from 'chai';
import { prepareDatasetWith } from '../../src/activities/prepare';
import { createWorkers } from '../../src/runtime/workers';
import { openBlobStore } from '../../src/storage/from-uri';
import { searchWorkflow } from '../../src/workflows/search';
import type { PreparedDatasetSummary } from '../../src/contracts';
import { FILE_PREFIX, SAMPLE_DIR, testConfig } from '../support/pipeline-harness';
import { devServerEnv } from '../support/temporal';

/** Slow enough (a few seconds on one thread) that the shutdown lands in the middle of the trial. */
const SLOW_PARAMS = {
  n_estimators: 1500,
  max_depth: 9,
  learning_rate: 0.02,
  gamma: 0,
  reg_alpha: 0,
  reg_lambda: 1,
  subsample: 1,
  colsample_bytree: 1,
};

describe('worker shutdown (real dev server, real trial)', function () {
  this.timeout(300_000);
  let env: TestWorkflowEnvironment;
  before(async () => {
    env = await devServerEnv();
  });
  after(async () => {
    await env?.teardown();
  });

  it('gives the main-queue activities (predict, re-score, drift) a scoring pool apart from the trial pool (8)', async () => {
    const config = testConfig({ dataUri: `file://${SAMPLE_DIR}` });
    const workers = await createWorkers({ config, connection: env.nativeConnection, trainingThreads: 1 });
    try {
      expect(workers.scoringPool, 'a scoring pool').to.not.equal(undefined);
      expect(workers.scoringPool).to.not.equal(workers.pool);
      const trialsOnly = await createWorkers({
        config: testConfig({ dataUri: `file://${SAMPLE_DIR}` }),
        connection: env.nativeConnection,
        serveMain: false,
      });
      expect(trialsOnly.scoringPool, 'a trials-only process needs none').to.equal(undefined);
      const trialsStopped = trialsOnly.run();
      trialsOnly.shutdown();
      await trialsStopped;
    } finally {
      const stopped = workers.run();
      workers.shutdown();
      await stopped;
    }
  });

  it('lets an in-flight trial finish within the grace time; the trial is completed, not failed (9)', async () => {
    const config = testConfig({ dataUri: `file://${SAMPLE_DIR}` });
    const artifacts = openBlobStore(config.artifactsUri);
    const dataset: PreparedDatasetSummary = await new MockActivityEnvironment().run(
      (i: Parameters<typeof prepareDatasetWith>[1]) =>
        prepareDatasetWith({ artifacts, openDataStore: (u) => openBlobStore(u) }, i),
      {
        dataUri: config.dataUri,
        filePrefix: FILE_PREFIX,
        years: [2014, 2015, 2016],
        validationYear: 2016,
        schema: {
          featureColumns: ['holiday', 'temp', 'rain_1h', 'snow_1h', 'clouds_all', 'weather_main'],
          dateTimeColumn: 'date_time',
          targetColumn: 'traffic_volume',
        },
        earlyStoppingSlice: false,
      },
    );
    const workers = await createWorkers({ config, connection: env.nativeConnection, trainingThreads: 1 });
    const stopped = workers.run();
    const client = env.client as unknown as Client;
    const handle = await client.workflow.start(searchWorkflow, {
      taskQueue: config.taskQueue,
      workflowId: `shutdown-search-${Date.now()}`,
      args: [
        {
          datasetRef: dataset.datasetRef,
          datasetHash: dataset.datasetHash,
          trials: 1,
          top: 1,
          parallelism: 1,
          seed: 1,
          engine: 'native',
          earlyStoppingRounds: 0,
          params: SLOW_PARAMS,
          trialTaskQueue: config.trialTaskQueue,
        },
      ],
    });
    try {
      // Wait until the trial runs on the worker, then stop the worker.
      for (let i = 0; ; i++) {
        const pending = (await handle.describe()).raw.pendingActivities ?? [];
        if (pending.some((a) => String(a.state) === 'PENDING_ACTIVITY_STATE_STARTED' || a.state === 2)) break;
        if (i > 600) expect.fail('the trial never started');
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 300));
      const stopAt = Date.now();
      workers.shutdown();
      await stopped;
      const stopMs = Date.now() - stopAt;

      const events = (await handle.fetchHistory()).events ?? [];
      const completed = events.filter((e) => e.activityTaskCompletedEventAttributes);
      const failed = events.filter(
        (e) => e.activityTaskFailedEventAttributes || e.activityTaskTimedOutEventAttributes,
      );
      expect(completed, `trial completed after the shutdown began (stop took ${stopMs} ms)`).to.have.length(
        1,
      );
      expect(failed).to.have.length(0);
      // Not a trial that ended before the shutdown: it was still running when the worker was told to stop.
      const completedAt =
        Number(completed[0].eventTime!.seconds) * 1000 + completed[0].eventTime!.nanos! / 1e6;
      expect(completedAt, 'completion after the shutdown began').to.be.greaterThan(stopAt);
      const started = events.find((e) => e.activityTaskStartedEventAttributes)!;
      expect(Number(started.activityTaskStartedEventAttributes!.attempt)).to.equal(1);
    } finally {
      await handle.terminate('test over').catch(() => undefined);
    }
  });
});
