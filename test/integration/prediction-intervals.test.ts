import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { runBatchPrediction } from '../../src/cli/batch-prediction-run';
import { runPrediction } from '../../src/cli/prediction-run';
import { validateAnyFeaturePipeline } from '../../src/features/feature-pipeline';
import { ModelRegistry } from '../../src/registry/model-registry';
import { openBlobStore } from '../../src/storage/from-uri';
import { backtestWorkflow } from '../../src/workflows/backtest';
import { SAMPLE_DIR } from '../support/data-dirs';
import { SMALL_PARAMS, startTestWorkers, testConfig, trainingInput } from '../support/pipeline-harness';
import { devServerEnv } from '../support/temporal';

/** The sample's first `count` rows of 2016 as a CSV, labels dropped. */
function sampleCsv(count: number): string {
  const lines = fs
    .readFileSync(path.join(SAMPLE_DIR, 'Metro_Interstate_Traffic_Volume_2016.csv'), 'utf8')
    .trim()
    .split('\n');
  return lines.slice(0, count + 1).join('\n') + '\n';
}

describe('prediction intervals, ablation and recency through the workflows (real dev server, real worker)', function () {
  this.timeout(600_000);
  let env: TestWorkflowEnvironment;

  before(async () => {
    env = await devServerEnv();
  });
  after(async () => {
    await env?.teardown();
  });

  it('trains with a feature left out and recency weights, reports coverage, and predicts intervals (single and batch)', async () => {
    const config = testConfig({});
    const workers = await startTestWorkers(env, config);
    try {
      const client = env.client as unknown as Client;
      const {
        years: _years,
        validationYear: _validationYear,
        modelName: _modelName,
        registerModels: _register,
        trigger: _trigger,
        ...training
      } = trainingInput(config, {
        params: SMALL_PARAMS,
        features: 'v2',
        refit: true,
        omitFeatures: ['holiday_adjacent'],
        recencyHalfLife: 1,
      });
      const result = await client.workflow.execute(backtestWorkflow, {
        taskQueue: config.taskQueue,
        workflowId: 'iv-test',
        args: [
          {
            training,
            firstYear: 2012,
            origins: [2016],
            modelNamePrefix: 'iv-test',
            interval: 0.9,
            trialTaskQueue: config.trialTaskQueue,
          },
        ],
      });
      const [origin] = result.origins;
      // Calibrated on 2015 by the pre-refit model, measured on 2016, which the training never read.
      expect(origin.interval?.level).to.equal(0.9);
      expect(origin.interval?.coverage).to.be.greaterThan(0.6).and.at.most(1);
      expect(origin.interval?.meanWidth).to.be.greaterThan(0);
      expect(result.settings).to.include({ recencyHalfLife: 1 });
      expect(result.settings.omitFeatures).to.deep.equal(['holiday_adjacent']);

      const artifacts = openBlobStore(config.artifactsUri);
      const version = await new ModelRegistry(artifacts).resolve('iv-test-2016', 'champion');
      expect(version.refit?.rows).to.be.greaterThan(0);
      const calibration = JSON.parse((await artifacts.get(version.intervalRef!)).toString('utf8')) as {
        source: { rows: string; model: string };
        residualKind?: string;
      };
      // The default method: 2015 by the pre-refit model, and 2013 and 2014 by its parameters trained on the
      // years before each (with the run's recency weights).
      expect(calibration.source.rows).to.equal('validation year 2015; one year ahead: 2013, 2014');
      expect(calibration.source.model).to.match(/before the refit; for 2013, 2014 the same parameters/);
      expect(calibration.residualKind).to.equal('signed');
      const pipeline = validateAnyFeaturePipeline(
        JSON.parse((await artifacts.get(version.pipelineRef)).toString('utf8')),
      );
      expect(pipeline.featureNames).to.not.include('holiday_adjacent');
      expect(pipeline.featureNames).to.include('day_of_year');

      const rows = [
        {
          holiday: 'None',
          temp: 280,
          rain_1h: 0,
          snow_1h: 0,
          clouds_all: 40,
          weather_main: 'Clouds',
          date_time: '2016-03-01 03:00:00',
        },
        {
          holiday: 'None',
          temp: 280,
          rain_1h: 0,
          snow_1h: 0,
          clouds_all: 40,
          weather_main: 'Clouds',
          date_time: '2016-03-01 17:00:00',
        },
      ];
      const single = await runPrediction(client, config, {
        modelName: 'iv-test-2016',
        version: 'champion',
        rows,
        interval: 0.9,
      });
      expect(single.intervals).to.have.length(2);
      single.intervals!.forEach(([low, high], i) => {
        expect(low).to.be.at.least(0);
        expect(low).to.be.at.most(single.predictions[i]);
        expect(high).to.be.at.least(single.predictions[i]);
      });
      // Rush hour is harder to predict than 03:00: its interval is wider.
      const width = ([low, high]: [number, number]) => high - low;
      expect(width(single.intervals![1])).to.be.greaterThan(width(single.intervals![0]));

      let refused: Error | undefined;
      await runPrediction(client, config, {
        modelName: 'iv-test-2016',
        version: 'champion',
        rows,
        interval: 1.5,
      }).catch((e: Error) => (refused = e));
      // The workflow failed because its activity refused the level (non-retryable): the message is at the root.
      const chain: string[] = [];
      for (let e: unknown = refused; e instanceof Error; e = e.cause) chain.push(e.message);
      expect(chain.join(' | ')).to.match(/interval level must be a number between 0 and 1/);

      const batch = await runBatchPrediction(client, config, {
        modelName: 'iv-test-2016',
        version: 'champion',
        text: sampleCsv(250),
        chunkRows: 100,
        interval: 0.9,
      });
      expect(batch.intervalLevel).to.equal(0.9);
      expect(batch.predictions).to.have.length(250);
      expect(batch.intervals).to.have.length(250);
      batch.intervals!.forEach(([low, high], i) => {
        expect(low).to.be.at.least(0);
        expect(high).to.be.at.least(batch.predictions[i]);
      });
    } finally {
      workers.shutdown();
      await workers.done;
    }
  });
});
