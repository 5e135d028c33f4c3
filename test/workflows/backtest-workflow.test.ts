import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { expect } from 'chai';
import { WORKFLOW_FAILURE_ERROR_TYPES } from '../../src/runtime/workers';
import { workflowBundle } from '../../src/runtime/workflow-bundle';
import { BACKTEST_FAILURE_TYPE, backtestWorkflow } from '../../src/workflows/backtest';
import type { PrepareDatasetInput, PreparedDatasetSummary } from '../../src/contracts';
import { timeSkippingEnv } from '../support/temporal';

describe('backtest workflow: an error it cannot recover from fails it (time-skipping server, mocked activities)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  before(async () => {
    env = await timeSkippingEnv();
  });
  after(async () => {
    await env?.teardown();
  });

  it('fails with BacktestError, with no workflow-task retries, when the training trains no model (--fine-tuning false)', async () => {
    const prepared: PrepareDatasetInput[] = [];
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'bt-wf',
      workflowBundle: await workflowBundle(),
      workflowFailureErrorTypes: WORKFLOW_FAILURE_ERROR_TYPES,
      activities: {
        prepareDataset: async (input: PrepareDatasetInput): Promise<PreparedDatasetSummary> => {
          prepared.push(input);
          return {
            datasetRef: 'datasets/x',
            datasetHash: 'x',
            reused: false,
            trainRows: 10,
            validationRows: 5,
            duplicatesRemoved: 0,
            badRows: [],
            featureNames: ['temp'],
            sourceObjects: [],
            validationYear: input.validationYear,
          };
        },
      },
    });
    const workflowId = 'bt-no-model';
    const failure = await worker.runUntil(
      env.client.workflow
        .execute(backtestWorkflow, {
          taskQueue: 'bt-wf',
          workflowId,
          workflowTaskTimeout: '10s',
          args: [
            {
              training: {
                dataUri: 's3://b/data',
                filePrefix: 'T',
                schema: { featureColumns: ['temp'], dateTimeColumn: 'when', targetColumn: 'volume' },
                trials: 2,
                top: 1,
                parallelism: 1,
                seed: 1,
                engine: 'auto',
                earlyStoppingRounds: 0,
                runFineTuning: false,
              },
              firstYear: 2012,
              origins: [2015],
              modelNamePrefix: 'bt',
              trialTaskQueue: 'unused',
            },
          ],
        })
        .then(
          () => expect.fail('the backtest should have failed'),
          (err: Error & { cause?: Error & { type?: string } }) => err.cause,
        ),
    );
    expect(failure?.type).to.equal(BACKTEST_FAILURE_TYPE);
    expect(failure?.message).to.match(/origin 2015: the training registered no model: fine-tuning is off/);
    expect(prepared).to.have.length(1);
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    expect((history.events ?? []).filter((e) => e.workflowTaskFailedEventAttributes)).to.deep.equal([]);
  });
});
