import fs from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { expect } from 'chai';
import { workflowBundle } from '../../src/runtime/workflow-bundle';
import { backtestWorkflow } from '../../src/workflows/backtest';
import { searchWorkflow } from '../../src/workflows/search';
import { trainingWorkflow } from '../../src/workflows/training';
import type {
  AppendTrialTableInput,
  BuildRunReportInput,
  PreparedDatasetSummary,
  PrepareDatasetInput,
  FinalizeModelInput,
  OneYearAheadMemberInput,
  OneYearAheadMemberResult,
  RefitMemberInput,
  RefitMemberResult,
  RegisterModelsInput,
  RegisterModelsResult,
  RunTrialInput,
  ScoreYearInput,
  ScoreYearResult,
  TrainingInput,
  TrialResult,
} from '../../src/contracts';
import { trialActivitiesOf } from '../support/trial-batch-of';
import { timeSkippingEnv } from '../support/temporal';

let TASK_QUEUE = 'test-main';
let TRIAL_QUEUE = 'test-trials';
const FIXTURES = path.resolve(__dirname, '../../../test/fixtures');

const dataset: PreparedDatasetSummary = {
  datasetRef: 'datasets/abc/data.bin',
  datasetHash: 'abc',
  reused: false,
  trainRows: 100,
  validationRows: 20,
  duplicatesRemoved: 3,
  badRows: [],
  featureNames: ['hour', 'temp'],
  sourceObjects: [{ key: 'x_2016.csv', etag: 'e', size: 1 }],
  validationYear: 2016,
};

function baseInput(overrides: Partial<TrainingInput> = {}): TrainingInput & { trialTaskQueue: string } {
  return {
    modelName: 'm',
    dataUri: 'file://data/sample',
    filePrefix: 'Metro_Interstate_Traffic_Volume',
    years: [2015, 2016],
    validationYear: 2016,
    schema: { featureColumns: ['temp'], dateTimeColumn: 'date_time', targetColumn: 'traffic_volume' },
    trials: 10,
    top: 2,
    parallelism: 3,
    seed: 7,
    engine: 'auto',
    earlyStoppingRounds: 0,
    runFineTuning: true,
    registerModels: true,
    trigger: 'ad-hoc',
    trialTaskQueue: TRIAL_QUEUE,
    ...overrides,
  };
}

/** A fake trial whose RMSE is a function of its parameters, so the ranking is checkable. */
function fakeTrial(input: RunTrialInput): TrialResult {
  return {
    trialId: input.trialId,
    params: input.params,
    metrics: { rmse: input.params.max_depth * 100 + input.params.learning_rate, mae: 1, r2: 0.5 },
    trainMs: 5,
    modelRef: `models/${input.trialId}`,
    rounds: input.params.n_estimators,
    engine: 'native',
    engineVersion: 'test',
  };
}

describe('training workflow (time-skipping server, mocked activities)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;

  before(async () => {
    env = await timeSkippingEnv();
  });
  after(async () => {
    await env?.teardown();
  });
  let testNumber = 0;
  beforeEach(() => {
    // Fresh queues per test: a worker left behind by a failed test cannot steal the next test's tasks.
    testNumber++;
    TASK_QUEUE = `test-main-${testNumber}`;
    TRIAL_QUEUE = `test-trials-${testNumber}`;
  });

  async function withWorkers<T>(
    acts: {
      runTrial: (i: RunTrialInput) => Promise<TrialResult>;
      registerModels?: (i: RegisterModelsInput) => Promise<RegisterModelsResult>;
      finalizeModel?: (i: FinalizeModelInput) => Promise<TrialResult>;
      refitMember?: (i: RefitMemberInput) => Promise<RefitMemberResult>;
      oneYearAheadMember?: (i: OneYearAheadMemberInput) => Promise<OneYearAheadMemberResult>;
      prepareDataset?: (i: PrepareDatasetInput) => Promise<typeof dataset>;
      scoreYear?: (i: ScoreYearInput) => Promise<ScoreYearResult>;
    },
    fn: () => Promise<T>,
  ): Promise<T> {
    const main = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: TASK_QUEUE,
      workflowBundle: await workflowBundle(),
      activities: {
        prepareDataset: acts.prepareDataset ?? (async () => dataset),
        appendTrialTable: async (a: AppendTrialTableInput) => ({
          tableRef: `trials/${a.searchWorkflowId}.jsonl`,
          rows: a.rows.length,
        }),
        buildRunReport: async (i: BuildRunReportInput) => ({
          reportRef: `reports/${i.runId}.html`,
          bytes: 1,
          buildMs: 1,
        }),
        ...(acts.finalizeModel ? { finalizeModel: acts.finalizeModel } : {}),
        ...(acts.scoreYear ? { scoreYear: acts.scoreYear } : {}),
        registerModels:
          acts.registerModels ??
          (async (i: RegisterModelsInput) => ({
            modelName: i.modelName,
            versions: i.trials.map((t, n) => ({ version: n + 1, trialId: t.trialId, rmse: t.metrics.rmse })),
            champion: {
              decision: 'first-champion' as const,
              championVersion: 1,
              candidate: { version: 1, rmse: i.trials[0].metrics.rmse },
              validationYear: 2016,
              reason: 'first',
            },
          })),
      },
    });
    const trials = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: TRIAL_QUEUE,
      activities: {
        ...trialActivitiesOf(acts.runTrial),
        ...(acts.refitMember ? { refitMember: acts.refitMember } : {}),
        ...(acts.oneYearAheadMember ? { oneYearAheadMember: acts.oneYearAheadMember } : {}),
      },
    });
    return trials.runUntil(main.runUntil(fn));
  }

  it('runs prepare → search → register, keeps the top N and respects the parallelism window', async () => {
    let running = 0;
    let maxRunning = 0;
    const seen: RunTrialInput[] = [];
    const result = await withWorkers(
      {
        runTrial: async (input) => {
          seen.push(input);
          running++;
          maxRunning = Math.max(maxRunning, running);
          await new Promise((r) => setTimeout(r, 20));
          running--;
          return fakeTrial(input);
        },
      },
      () =>
        env.client.workflow.execute(trainingWorkflow, {
          taskQueue: TASK_QUEUE,
          workflowId: 'wf-train-1',
          args: [baseInput()],
        }),
    );
    expect(seen).to.have.length(10);
    expect(maxRunning).to.be.at.most(3);
    const board = result.search!.leaderboard;
    expect(board).to.have.length(10);
    for (let i = 1; i < board.length; i++)
      expect(board[i - 1].metrics.rmse).to.be.at.most(board[i].metrics.rmse);
    expect(result.registration!.versions.map((v) => v.trialId)).to.deep.equal(
      board.slice(0, 2).map((t) => t.trialId),
    );
    expect(result.dataset.datasetHash).to.equal('abc');
    expect(result.reportRef).to.equal('reports/wf-train-1.html');

    if (process.env.RECORD_HISTORY) {
      for (const [id, file] of [
        // The first recordings (training-history.json, search-history.json) predate the run report; keep them.
        ['wf-train-1', 'training-report-history.json'],
      ]) {
        const history = await env.client.workflow.getHandle(id).fetchHistory();
        fs.writeFileSync(path.join(FIXTURES, file), historyToJSON(history));
      }
    }
  });

  /** finalizeModel and registerModels of the refit tests: the final model is an ensemble of its trials. */
  const finalizing = (finalized: FinalizeModelInput[], registered: RegisterModelsInput[]) => ({
    finalizeModel: async (input: FinalizeModelInput) => {
      finalized.push(input);
      return {
        ...input.trials[0],
        trialId: 'ensemble-refit',
        modelRef: 'models/ensemble',
        modelFormat: 'ensemble' as const,
        members: input.trials.map((t) => t.trialId),
      };
    },
    registerModels: async (i: RegisterModelsInput) => {
      registered.push(i);
      return {
        modelName: i.modelName,
        versions: [{ version: 1, trialId: i.trials[0].trialId, rmse: i.trials[0].metrics.rmse }],
        champion: {
          decision: 'first-champion' as const,
          championVersion: 1,
          candidate: { version: 1, rmse: i.trials[0].metrics.rmse },
          validationYear: 2016,
          reason: 'first',
        },
      };
    },
  });

  /** A member's one-year-ahead trainings as the trial queue's worker answers them (the predictions by reference). */
  const oneYearAheadOf = (input: OneYearAheadMemberInput): OneYearAheadMemberResult => ({
    trialId: input.trial.trialId,
    years: [2013, 2014],
    rows: 200,
    predictionsRef: `calibration/${input.trial.trialId}.one-year-ahead.f32`,
  });

  it('refit + ensemble: each member refits and trains one year ahead on the trial queue, all at once; finalizeModel gets them in order', async () => {
    const finalized: FinalizeModelInput[] = [];
    const registered: RegisterModelsInput[] = [];
    const refits: RefitMemberInput[] = [];
    const aheads: OneYearAheadMemberInput[] = [];
    let running = 0;
    let maxRunning = 0;
    // The better the trial, the later its work finishes: the order must be the trials', not the finishing order.
    const slot = async <T>(rmse: number, answer: () => T): Promise<T> => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setTimeout(r, Math.max(20, 2_000 - rmse)));
      running--;
      return answer();
    };
    const result = await withWorkers(
      {
        runTrial: async (input) => fakeTrial(input),
        // Only the trial queue's worker has refitMember and oneYearAheadMember: work scheduled on the main
        // queue would never start.
        refitMember: async (input) => {
          refits.push(input);
          return slot(input.trial.metrics.rmse, () => ({
            trialId: input.trial.trialId,
            engine: 'native' as const,
            modelRef: `models/${input.trial.trialId}-refit`,
            rounds: input.trial.rounds,
            rows: 120,
            trainMs: 5,
          }));
        },
        oneYearAheadMember: async (input) => {
          aheads.push(input);
          return slot(input.trial.metrics.rmse, () => oneYearAheadOf(input));
        },
        ...finalizing(finalized, registered),
      },
      () =>
        env.client.workflow.execute(trainingWorkflow, {
          taskQueue: TASK_QUEUE,
          workflowId: 'wf-train-refit-members',
          args: [baseInput({ trials: 6, refit: true, ensemble: 3 })],
        }),
    );
    const top3 = result.search!.leaderboard.slice(0, 3).map((t) => t.trialId);
    expect(refits.map((r) => r.trial.trialId).sort()).to.deep.equal([...top3].sort());
    expect(aheads.map((r) => r.trial.trialId).sort()).to.deep.equal([...top3].sort());
    expect(aheads.every((a) => a.datasetHash === 'abc')).to.equal(true);
    expect(maxRunning, 'refits and one-year-ahead trainings at once').to.equal(6);
    expect(finalized).to.have.length(1);
    expect(finalized[0].refit).to.equal(true);
    expect(finalized[0].trials.map((t) => t.trialId)).to.deep.equal(top3);
    expect(finalized[0].refitted?.map((m) => m.trialId)).to.deep.equal(top3);
    expect(finalized[0].refitted?.map((m) => m.modelRef)).to.deep.equal(top3.map((t) => `models/${t}-refit`));
    expect(finalized[0].oneYearAhead?.map((m) => m.trialId)).to.deep.equal(top3);
    expect(registered[0].trials.map((t) => t.trialId)).to.deep.equal(['ensemble-refit']);
    expect(result.finalModel?.members).to.have.length(3);

    if (process.env.RECORD_HISTORY) {
      // training-refit-ensemble-history.json (before patch 'refit-members-on-trial-queue') and
      // training-refit-members-history.json (before 'one-year-ahead-on-trial-queue') stay as recorded.
      const history = await env.client.workflow.getHandle('wf-train-refit-members').fetchHistory();
      fs.writeFileSync(
        path.join(FIXTURES, 'training-one-year-ahead-members-history.json'),
        historyToJSON(history),
      );
    }
  });

  it('--interval-calibration reaches finalizeModel (patch interval-method); absent, the activity default applies; worst-year trains one year ahead too', async () => {
    const finalized: FinalizeModelInput[] = [];
    const registered: RegisterModelsInput[] = [];
    const refitMember = async (input: RefitMemberInput) => ({
      trialId: input.trial.trialId,
      engine: 'native' as const,
      modelRef: `models/${input.trial.trialId}-refit`,
      rounds: input.trial.rounds,
      rows: 120,
      trainMs: 5,
    });
    await withWorkers(
      {
        runTrial: async (input) => fakeTrial(input),
        refitMember,
        oneYearAheadMember: async (input) => oneYearAheadOf(input),
        ...finalizing(finalized, registered),
      },
      async () => {
        await env.client.workflow.execute(trainingWorkflow, {
          taskQueue: TASK_QUEUE,
          workflowId: 'wf-train-interval-method',
          args: [baseInput({ trials: 4, refit: true, ensemble: 2, intervalMethod: 'validation-year' })],
        });
        await env.client.workflow.execute(trainingWorkflow, {
          taskQueue: TASK_QUEUE,
          workflowId: 'wf-train-interval-default',
          args: [baseInput({ trials: 4, refit: true, ensemble: 2 })],
        });
        await env.client.workflow.execute(trainingWorkflow, {
          taskQueue: TASK_QUEUE,
          workflowId: 'wf-train-worst-year',
          args: [baseInput({ trials: 4, refit: true, ensemble: 2, intervalMethod: 'worst-year' })],
        });
      },
    );
    expect(finalized).to.have.length(3);
    expect(finalized[0].intervalMethod).to.equal('validation-year');
    expect(finalized[1]).to.not.have.property('intervalMethod');
    expect(finalized[2].intervalMethod).to.equal('worst-year');
    // The one-year-ahead trainings run for every method but validation-year (absent: one-year-ahead).
    expect(finalized[0]).to.not.have.property('oneYearAhead');
    expect(finalized[1].oneYearAhead).to.have.length(2);
    expect(finalized[2].oneYearAhead).to.have.length(2);

    if (process.env.RECORD_HISTORY) {
      for (const [id, file] of [
        ['wf-train-interval-method', 'training-interval-method-history.json'],
        ['wf-train-worst-year', 'training-worst-year-history.json'],
      ]) {
        const history = await env.client.workflow.getHandle(id).fetchHistory();
        fs.writeFileSync(path.join(FIXTURES, file), historyToJSON(history));
      }
    }
  });

  it('--holidays reaches prepareDataset (patch holiday-calendar); absent, the activity gets none', async () => {
    const prepared: PrepareDatasetInput[] = [];
    const prepareDataset = async (i: PrepareDatasetInput) => {
      prepared.push(i);
      return dataset;
    };
    await withWorkers({ runTrial: async (input) => fakeTrial(input), prepareDataset }, async () => {
      await env.client.workflow.execute(trainingWorkflow, {
        taskQueue: TASK_QUEUE,
        workflowId: 'wf-train-holiday-calendar',
        args: [baseInput({ trials: 2, holidays: 'major' })],
      });
      await env.client.workflow.execute(trainingWorkflow, {
        taskQueue: TASK_QUEUE,
        workflowId: 'wf-train-holiday-default',
        args: [baseInput({ trials: 2 })],
      });
    });
    expect(prepared.map((p) => p.holidays)).to.deep.equal(['major', undefined]);

    if (process.env.RECORD_HISTORY) {
      const history = await env.client.workflow.getHandle('wf-train-holiday-calendar').fetchHistory();
      fs.writeFileSync(path.join(FIXTURES, 'training-holiday-calendar-history.json'), historyToJSON(history));
    }
  });

  it('a backtest with --holidays states it in its settings (patch backtest-holidays-setting); without, no key', async () => {
    const scoreYear = async (i: ScoreYearInput): Promise<ScoreYearResult> => ({
      year: i.year,
      modelName: i.modelName,
      version: Number(i.version),
      rows: 10,
      metrics: { rmse: 400, mae: 300, r2: 0.9 },
    });
    const {
      years: _y,
      validationYear: _v,
      modelName: _m,
      registerModels: _r,
      trigger: _t,
      trialTaskQueue: _q,
      ...training
    } = baseInput({ trials: 2 });
    const run = (workflowId: string, extra: Partial<TrainingInput>) =>
      env.client.workflow.execute(backtestWorkflow, {
        taskQueue: TASK_QUEUE,
        workflowId,
        args: [
          {
            training: { ...training, ...extra },
            firstYear: 2014,
            origins: [2016],
            modelNamePrefix: workflowId,
            trialTaskQueue: TRIAL_QUEUE,
          },
        ],
      });
    const [major, federal] = await withWorkers(
      { runTrial: async (input) => fakeTrial(input), scoreYear },
      async () => [
        await run('wf-backtest-holidays', { holidays: 'major' }),
        await run('wf-backtest-default', {}),
      ],
    );
    expect(major.settings.holidays).to.equal('major');
    expect(federal.settings).to.not.have.property('holidays');

    if (process.env.RECORD_HISTORY) {
      const history = await env.client.workflow.getHandle('wf-backtest-holidays').fetchHistory();
      fs.writeFileSync(path.join(FIXTURES, 'backtest-holidays-history.json'), historyToJSON(history));
    }
  });

  it('ensemble without refit: no refitMember, the selected trials go to finalizeModel as they are', async () => {
    const finalized: FinalizeModelInput[] = [];
    const registered: RegisterModelsInput[] = [];
    let refits = 0;
    await withWorkers(
      {
        runTrial: async (input) => fakeTrial(input),
        refitMember: async () => {
          refits++;
          throw new Error('no refit expected');
        },
        // The intervals' one-year-ahead trainings still run (the default calibration).
        oneYearAheadMember: async (input) => oneYearAheadOf(input),
        ...finalizing(finalized, registered),
      },
      () =>
        env.client.workflow.execute(trainingWorkflow, {
          taskQueue: TASK_QUEUE,
          workflowId: 'wf-train-ensemble-only',
          args: [baseInput({ trials: 6, refit: false, ensemble: 3 })],
        }),
    );
    expect(refits).to.equal(0);
    expect(finalized[0].refit).to.equal(false);
    expect(finalized[0].refitted).to.equal(undefined);
    expect(finalized[0].oneYearAhead?.map((m) => m.trialId)).to.deep.equal(
      finalized[0].trials.map((t) => t.trialId),
    );
  });

  it('samples the same parameters for the same seed and different ones for another seed', async () => {
    const run = async (seed: number, id: string) => {
      const params: string[] = [];
      await withWorkers(
        { runTrial: async (input) => (params.push(JSON.stringify(input.params)), fakeTrial(input)) },
        () =>
          env.client.workflow.execute(searchWorkflow, {
            taskQueue: TASK_QUEUE,
            workflowId: id,
            args: [{ ...baseInput({ seed, parallelism: 1 }), datasetRef: 'r', datasetHash: 'h' }],
          }),
      );
      return params;
    };
    const a = await run(1, 'wf-search-a');
    const b = await run(1, 'wf-search-b');
    const c = await run(2, 'wf-search-c');
    expect(a).to.deep.equal(b);
    expect(a).to.not.deep.equal(c);
  });

  it('records a failed trial and goes on with the others', async () => {
    const result = await withWorkers(
      {
        runTrial: async (input) => {
          if (input.trialId === 'trial-003')
            throw ApplicationFailure.nonRetryable('boom: bad trial', 'InvalidParams');
          return fakeTrial(input);
        },
      },
      () =>
        env.client.workflow.execute(trainingWorkflow, {
          taskQueue: TASK_QUEUE,
          workflowId: 'wf-train-fail',
          args: [baseInput()],
        }),
    );
    expect(result.search!.leaderboard).to.have.length(9);
    expect(result.search!.failures).to.have.length(1);
    expect(result.search!.failures[0]).to.include({ trialId: 'trial-003' });
    expect(result.search!.failures[0].error).to.contain('boom');
  });

  it('fails the search when every trial fails', async () => {
    const err = await withWorkers(
      { runTrial: async () => Promise.reject(ApplicationFailure.nonRetryable('always', 'InvalidParams')) },
      () =>
        env.client.workflow
          .execute(trainingWorkflow, {
            taskQueue: TASK_QUEUE,
            workflowId: 'wf-train-allfail',
            args: [baseInput({ trials: 3 })],
          })
          .then(
            () => undefined,
            (e: unknown) => e as Error,
          ),
    );
    expect(err).to.be.instanceOf(Error);
    const messages: string[] = [];
    for (let e: unknown = err; e instanceof Error; e = (e as Error & { cause?: unknown }).cause)
      messages.push(e.message);
    expect(messages.join(' | ')).to.contain('all 3 trials failed');
  });

  it('retries infrastructure faults past 3 attempts: the trial succeeds once the store is back', async () => {
    const attempts = new Map<string, number>();
    const result = await withWorkers(
      {
        runTrial: async (input) => {
          const n = (attempts.get(input.trialId) ?? 0) + 1;
          attempts.set(input.trialId, n);
          if (input.trialId === 'trial-002' && n <= 5) {
            throw ApplicationFailure.retryable('connect ECONNREFUSED 127.0.0.1:9000', 'InfrastructureFault');
          }
          return fakeTrial(input);
        },
      },
      () =>
        env.client.workflow.execute(trainingWorkflow, {
          taskQueue: TASK_QUEUE,
          workflowId: 'wf-train-infra',
          args: [baseInput({ trials: 4 })],
        }),
    );
    expect(attempts.get('trial-002')).to.equal(6);
    expect(result.search!.failures).to.deep.equal([]);
    expect(result.search!.leaderboard).to.have.length(4);
    if (process.env.RECORD_HISTORY) {
      const history = await env.client.workflow.getHandle('wf-train-infra-search').fetchHistory();
      fs.writeFileSync(path.join(FIXTURES, 'search-infra-retry-history.json'), historyToJSON(history));
    }
  });

  it('fails the search with the reasons when more than --max-failed-share of the trials failed', async () => {
    let registered = false;
    const err = await withWorkers(
      {
        runTrial: async (input) => {
          if (input.trialId === 'trial-003' || input.trialId === 'trial-006')
            throw ApplicationFailure.nonRetryable(`${input.trialId}: bad params`, 'InvalidParams');
          return fakeTrial(input);
        },
        registerModels: async () => {
          registered = true;
          throw new Error('must not register');
        },
      },
      () =>
        env.client.workflow
          .execute(trainingWorkflow, {
            taskQueue: TASK_QUEUE,
            workflowId: 'wf-train-budget',
            args: [baseInput({ maxFailedShare: 0.1 })],
          })
          .then(
            () => undefined,
            (e: unknown) => e as Error,
          ),
    );
    const messages: string[] = [];
    for (let e: unknown = err; e instanceof Error; e = (e as Error & { cause?: unknown }).cause)
      messages.push(e.message);
    expect(messages.join(' | ')).to.contain('2 of 10 trials failed (20.0 % > 10 % allowed): 2× bad params');
    expect(registered).to.equal(false);
  });

  it('trains once with --params, and skips registration when asked (IS_REGISTER_MODELS=false)', async () => {
    const params = {
      n_estimators: 200,
      max_depth: 5,
      learning_rate: 0.1,
      gamma: 0.1,
      reg_alpha: 0.1,
      reg_lambda: 1,
      subsample: 0.8,
      colsample_bytree: 0.8,
    };
    const seen: RunTrialInput[] = [];
    const result = await withWorkers(
      { runTrial: async (input) => (seen.push(input), fakeTrial(input)) },
      () =>
        env.client.workflow.execute(trainingWorkflow, {
          taskQueue: TASK_QUEUE,
          workflowId: 'wf-train-params',
          args: [baseInput({ params, registerModels: false })],
        }),
    );
    expect(seen).to.have.length(1);
    expect(seen[0].params).to.deep.equal(params);
    expect(result.registration).to.equal(undefined);
  });

  it('only prepares data when fine-tuning is off (IS_RUN_FINE_TUNING=false)', async () => {
    const result = await withWorkers({ runTrial: async (i) => fakeTrial(i) }, () =>
      env.client.workflow.execute(trainingWorkflow, {
        taskQueue: TASK_QUEUE,
        workflowId: 'wf-train-prep-only',
        args: [baseInput({ runFineTuning: false })],
      }),
    );
    expect(result.search).to.equal(undefined);
    expect(result.dataset.trainRows).to.equal(100);
  });
});
