import { Client } from '@temporalio/client';
import { expect } from 'chai';
import { backtestSummaryOf, formatBacktest } from '../../src/cli/backtest-command';
import { startTraining, waitForTraining } from '../../src/cli/training-run';
import { ModelRegistry } from '../../src/registry/model-registry';
import { openBlobStore } from '../../src/storage/from-uri';
import { backtestWorkflow } from '../../src/workflows/backtest';
import type { BacktestInput } from '../../src/contracts';
import {
  SMALL_PARAMS,
  startTestWorkers,
  testConfig,
  trainingInput,
  useDevServerAndS3,
} from '../support/pipeline-harness';

describe('rolling-origin backtest (real dev server, real worker, sample data)', function () {
  this.timeout(600_000);
  const infra = useDevServerAndS3();

  it('trains per origin on the years before it, scores each champion on its origin year, and reports the means', async () => {
    const config = testConfig({});
    const workers = await startTestWorkers(infra.env, config);
    try {
      const {
        years: _years,
        validationYear: _validationYear,
        modelName: _modelName,
        registerModels: _register,
        trigger: _trigger,
        ...training
      } = trainingInput(config, { trials: 3, features: 'v2', refit: true, ensemble: 2 });
      const input: BacktestInput = {
        training,
        firstYear: 2012,
        origins: [2015, 2016],
        modelNamePrefix: 'bt-test',
        interval: 0.9,
      };
      const client = infra.env.client as unknown as Client;
      const result = await client.workflow.execute(backtestWorkflow, {
        taskQueue: config.taskQueue,
        workflowId: 'bt-test',
        args: [{ ...input, trialTaskQueue: config.trialTaskQueue }],
      });
      expect(result.origins.map((o) => [o.year, o.validationYear, o.trainYears])).to.deep.equal([
        [2015, 2014, [2012, 2013]],
        [2016, 2015, [2012, 2013, 2014]],
      ]);
      for (const o of result.origins) {
        expect(o.rows).to.be.greaterThan(1000);
        expect(o.test.rmse).to.be.greaterThan(0).and.lessThan(1500);
        expect(o.test.r2).to.be.greaterThan(0.5);
        expect(o.earlyStoppingRmse).to.be.a('number');
        // Calibrated by the pre-refit models (one-year-ahead: this input names no method), measured on the unseen
        // origin year.
        expect(o.interval?.level).to.equal(0.9);
        expect(o.interval?.coverage).to.be.greaterThan(0.5).and.at.most(1);
        expect(o.interval?.meanWidth).to.be.greaterThan(0);
      }
      expect(formatBacktest(result)).to.match(/^2016\s+\d+\.\d %\s+\d+$/m);
      expect(result.mean.rmse).to.be.closeTo(
        (result.origins[0].test.rmse + result.origins[1].test.rmse) / 2,
        1e-9,
      );
      expect(formatBacktest(result)).to.match(/^mean\s+\d+\.\d/m);
      // The coverage lines name the calibration (this input names none: one-year-ahead).
      expect(formatBacktest(result)).to.contain('(one-year-ahead, calibrated on one-year-ahead errors');
      expect(formatBacktest(result, 'worst-year')).to.contain('each end from the widest year');

      // `train --backtest bt-test` records it only for the same settings.
      const same = trainingInput(config, { trials: 3, features: 'v2', refit: true, ensemble: 2 });
      const summary = await backtestSummaryOf(client, 'bt-test', same);
      expect(summary.meanRmse).to.equal(result.mean.rmse);
      expect(Object.keys(summary.rmseByYear)).to.deep.equal(['2015', '2016']);
      let refused: Error | undefined;
      await backtestSummaryOf(client, 'bt-test', { ...same, features: 'v1' }).catch(
        (e: Error) => (refused = e),
      );
      expect(refused?.message).to.match(/tested other settings \(features: "v2" there, "v1" here\)/);

      const registry = new ModelRegistry(openBlobStore(config.artifactsUri, config.s3));
      const registered = await registry.resolve('bt-test-2016', 'champion');
      expect(registered.modelFormat).to.equal('ensemble');
      expect(registered.refit?.rounds).to.be.greaterThan(0);
      expect(registered.pipelineVersion).to.equal(2);
      expect(registered.earlyStopping?.rmse).to.be.a('number');
      expect(registered.intervalRef).to.match(/^models\/[0-9a-f]{64}\.interval-calibration\.json$/);
      // The production model name is never touched.
      expect(await registry.listVersions('traffic-test')).to.deep.equal([]);
    } finally {
      workers.shutdown();
      await workers.done;
    }
  });

  it('compares a v2 candidate with a v1 champion of another validation year by scoring the raw rows', async () => {
    const config = testConfig({});
    const workers = await startTestWorkers(infra.env, config);
    try {
      const client = infra.env.client as unknown as Client;
      const run = async (overrides: Parameters<typeof trainingInput>[1], id: string) =>
        waitForTraining(
          client,
          await startTraining(
            client,
            config,
            trainingInput(config, { params: SMALL_PARAMS, ...overrides }),
            id,
          ),
          () => undefined,
          300,
        );
      await run({ features: 'v1', years: [2012, 2013, 2014, 2015], validationYear: 2015 }, 'cross-v1');
      const second = await run({ features: 'v2', refit: true }, 'cross-v2');
      const decision = second.registration!.champion;
      expect(decision.previousChampion?.version).to.equal(1);
      expect(decision.previousChampion?.rmse).to.be.greaterThan(0);
      expect(decision.validationYear).to.equal(2016);
      const registry = new ModelRegistry(openBlobStore(config.artifactsUri, config.s3));
      expect((await registry.resolve('traffic-test', 1)).pipelineVersion).to.equal(1);
      expect((await registry.resolve('traffic-test', 2)).pipelineVersion).to.equal(2);
    } finally {
      workers.shutdown();
      await workers.done;
    }
  });
});
