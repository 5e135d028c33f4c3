import { Client } from '@temporalio/client';
import { expect } from 'chai';
import { formatBacktest } from '../../src/cli/backtest-command';
import { ModelRegistry } from '../../src/registry/model-registry';
import { openBlobStore } from '../../src/storage/from-uri';
import { backtestWorkflow } from '../../src/workflows/backtest';
import type { BacktestInput } from '../../src/workflows/types';
import { startTestWorkers, testConfig, trainingInput, useDevServerAndS3 } from '../support/pipeline-harness';

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
      }
      expect(result.mean.rmse).to.be.closeTo(
        (result.origins[0].test.rmse + result.origins[1].test.rmse) / 2,
        1e-9,
      );
      expect(formatBacktest(result)).to.match(/^mean\s+\d+\.\d/m);

      const registry = new ModelRegistry(openBlobStore(config.artifactsUri, config.s3));
      const registered = await registry.resolve('bt-test-2016', 'champion');
      expect(registered.modelFormat).to.equal('ensemble');
      expect(registered.refit?.rounds).to.be.greaterThan(0);
      expect(registered.pipelineVersion).to.equal(2);
      expect(registered.earlyStopping?.rmse).to.be.a('number');
      // The production model name is never touched.
      expect(await registry.listVersions('traffic-test')).to.deep.equal([]);
    } finally {
      workers.shutdown();
      await workers.done;
    }
  });
});
