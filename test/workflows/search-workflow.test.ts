import fs from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { expect } from 'chai';
import { createRng } from '../../src/search/search-space';
import { workflowBundle } from '../../src/runtime/workflow-bundle';
import { searchWorkflow, type SearchWorkflowInput } from '../../src/workflows/search';
import type {
  AppendTrialTableInput,
  RunTrialBatchInput,
  RunTrialInput,
  SearchResult,
  TrialResult,
  TrialTableRow,
} from '../../src/contracts';
import { curveTrial } from '../support/curve-trial';
import { timeSkippingEnv } from '../support/temporal';
import { trialActivitiesOf } from '../support/trial-batch-of';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures');

function searchInput(overrides: Partial<SearchWorkflowInput> = {}): SearchWorkflowInput {
  return {
    datasetRef: 'datasets/abc/data.bin',
    datasetHash: 'abc',
    trials: 30,
    top: 2,
    parallelism: 4,
    seed: 11,
    engine: 'native',
    earlyStoppingRounds: 0,
    trialTaskQueue: 'unset',
    strategy: { sampler: 'tpe', pruning: 'asha', reproducible: true },
    ...overrides,
  };
}

describe('search workflow: sampler, ASHA, trial table, continue-as-new (time-skipping server, mocked activities)', function () {
  this.timeout(300_000);
  let env: TestWorkflowEnvironment;
  let testNumber = 0;
  let taskQueue = '';
  let trialQueue = '';

  before(async () => {
    env = await timeSkippingEnv();
  });
  after(async () => {
    await env?.teardown();
  });
  beforeEach(() => {
    testNumber++;
    taskQueue = `search-main-${testNumber}`;
    trialQueue = `search-trials-${testNumber}`;
  });

  interface Run {
    result: SearchResult;
    inputs: RunTrialInput[];
    table: TrialTableRow[];
    /** For each trial start, the indices finished by then. */
    finishedAtStart: Map<number, Set<number>>;
    /** Trials per runTrialBatch activity, in scheduling order. */
    batchSizes: number[];
  }

  async function runSearch(
    workflowId: string,
    input: SearchWorkflowInput,
    trial: (i: RunTrialInput) => Promise<TrialResult> = async (i) => curveTrial(i),
    delaySeed = 1,
  ): Promise<Run> {
    const inputs: RunTrialInput[] = [];
    const table: TrialTableRow[] = [];
    const finished = new Set<number>();
    const finishedAtStart = new Map<number, Set<number>>();
    const rng = createRng(delaySeed);
    const batchSizes: number[] = [];
    const batchesCounted = (trial: (i: RunTrialInput) => Promise<TrialResult>) => {
      const acts = trialActivitiesOf(trial);
      return {
        ...acts,
        runTrialBatch: (b: RunTrialBatchInput) => (batchSizes.push(b.trials.length), acts.runTrialBatch(b)),
      };
    };
    const main = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: {
        appendTrialTable: async (a: AppendTrialTableInput) => {
          table.push(...a.rows);
          return { tableRef: `trials/${a.searchWorkflowId}.jsonl`, rows: table.length };
        },
      },
    });
    const trials = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: trialQueue,
      maxConcurrentActivityTaskExecutions: 16,
      activities: batchesCounted(async (i: RunTrialInput) => {
        const index = Number(i.trialId.replace('trial-', ''));
        inputs.push(i);
        finishedAtStart.set(index, new Set(finished));
        // Workers of different speeds: trials finish in a different order on every run.
        await new Promise((r) => setTimeout(r, Math.floor(rng.next() * 30)));
        try {
          return await trial(i);
        } finally {
          finished.add(index);
        }
      }),
    });
    const result = await trials.runUntil(
      main.runUntil(
        env.client.workflow.execute(searchWorkflow, {
          taskQueue,
          workflowId,
          args: [{ ...input, trialTaskQueue: trialQueue }],
        }),
      ),
    );
    return { result, inputs, table, finishedAtStart, batchSizes };
  }

  const byIndex = (inputs: RunTrialInput[]) =>
    Object.fromEntries(
      inputs.map((i) => [i.trialId, JSON.stringify([i.params, i.pruning, i.storeModelIfRmseAtMost])]),
    );

  it('reproducible mode: the same proposals, cut-offs and result whatever the finishing order and run length', async () => {
    const a = await runSearch('wf-search-repro-a', searchInput(), undefined, 1);
    const b = await runSearch('wf-search-repro-b', searchInput(), undefined, 2);
    // Continue-as-new every 7 trials: the carried state gives the same view.
    const c = await runSearch('wf-search-repro-c', searchInput({ trialsPerRun: 7 }), undefined, 3);
    expect(a.inputs).to.have.length(30);
    expect(byIndex(b.inputs)).to.deep.equal(byIndex(a.inputs));
    expect(byIndex(c.inputs)).to.deep.equal(byIndex(a.inputs));
    for (const run of [b, c]) {
      expect(run.result.best.map((t) => t.trialId)).to.deep.equal(a.result.best.map((t) => t.trialId));
      expect(run.result.counts).to.deep.equal(a.result.counts);
    }
    // Trial i started only after trials 0 … i − window had finished.
    for (const [index, finished] of a.finishedAtStart)
      for (let j = 0; j <= index - 4; j++)
        expect(finished.has(j), `trial ${index} before ${j}`).to.equal(true);
  });

  it('accounts every trial once (succeeded + pruned + failed), prunes with ASHA, keeps the top N with models', async () => {
    const run = await runSearch(
      'wf-search-counts',
      searchInput({ trials: 60, parallelism: 3, trialsPerRun: 25 }),
      async (i) => {
        if (i.trialId === 'trial-007') throw ApplicationFailure.nonRetryable('bad params', 'InvalidParams');
        return curveTrial(i);
      },
    );
    const { counts, best, leaderboard, failures, trialTableRef, strategy } = run.result;
    expect(counts!.succeeded + counts!.pruned + counts!.failed).to.equal(60);
    expect(counts!.failed).to.equal(1);
    expect(counts!.pruned).to.be.greaterThan(0);
    expect(failures.map((f) => f.trialId)).to.deep.equal(['trial-007']);
    expect(strategy).to.deep.equal({ sampler: 'tpe', pruning: 'asha', reproducible: true });
    expect(trialTableRef).to.equal('trials/wf-search-counts.jsonl');
    expect(run.table.map((r) => r.index).sort((x, y) => x - y)).to.deep.equal(
      Array.from({ length: 60 }, (_, i) => i),
    );
    expect(run.table.filter((r) => r.status === 'pruned')).to.have.length(counts!.pruned);
    expect(leaderboard.length).to.be.at.most(20);
    expect(best).to.have.length(2);
    for (const t of best) expect(t.modelRef, t.trialId).to.be.a('string');
    const allRmses = run.table.filter((r) => r.status === 'succeeded').map((r) => r.metrics!.rmse);
    expect(best[0].metrics.rmse).to.equal(Math.min(...allRmses));
    // The bound kept most losing models out of the store.
    expect(
      run.table.filter((r) => r.modelRef === undefined && r.status !== 'failed').length,
    ).to.be.greaterThan(10);
  });

  it('never offers a pruned (truncated) trial as a candidate, even when its truncated RMSE is the lowest (issue 16)', async () => {
    const run = await runSearch(
      'wf-search-pruned-not-candidates',
      searchInput({ trials: 40, top: 3 }),
      async (i) => {
        const result = curveTrial(i);
        // A truncated model that looks best at its rung: it must still not be registered nor averaged.
        return result.pruned ? { ...result, metrics: { ...result.metrics, rmse: 1 } } : result;
      },
    );
    const { counts, best, leaderboard } = run.result;
    expect(counts!.pruned).to.be.greaterThan(0);
    expect(leaderboard.filter((t) => t.pruned)).to.deep.equal([]);
    expect(best.filter((t) => t.pruned)).to.deep.equal([]);
    expect(best).to.have.length(3);
    const completed = run.table.filter((r) => r.status === 'succeeded').map((r) => r.metrics!.rmse);
    expect(best[0].metrics.rmse).to.equal(Math.min(...completed));
  });

  it('re-runs a trial whose final failure is its worker’s shutdown (same id, same params) instead of filing it as failed', async () => {
    let interrupted = 0;
    const run = await runSearch(
      'wf-search-worker-shutdown',
      searchInput({
        trials: 8,
        parallelism: 2,
        // trial-003 shares its batch with trial-002, which finishes before the shutdown.
        trialsPerActivity: 2,
        strategy: { sampler: 'random', pruning: 'none', reproducible: true },
      }),
      async (i) => {
        if (i.trialId === 'trial-003' && interrupted < 2) {
          interrupted++;
          // As trial.ts reports a trial cut short by its worker's shutdown, here with its retries exhausted.
          throw ApplicationFailure.create({
            message: `trial ${i.trialId} interrupted: its worker shut down`,
            type: 'WorkerShutdown',
            nonRetryable: true,
          });
        }
        return curveTrial(i);
      },
    );
    const { counts, failures } = run.result;
    expect(interrupted).to.equal(2);
    expect(counts).to.include({ failed: 0, succeeded: 8 });
    expect(failures).to.deep.equal([]);
    const attempts = run.inputs.filter((i) => i.trialId === 'trial-003');
    expect(attempts, 'the interrupted trial ran again, twice').to.have.length(3);
    for (const a of attempts) expect(a.params).to.deep.equal(attempts[0].params);
    expect(run.table.filter((r) => r.trialId === 'trial-003').map((r) => r.status)).to.deep.equal([
      'succeeded',
    ]);
    // Its batch failed: the trials the batch had finished came back in the failure's details, not run again.
    const others = run.inputs.filter((i) => i.trialId !== 'trial-003').map((i) => i.trialId);
    expect(others).to.have.length(7);
    expect(new Set(others).size).to.equal(7);
  });

  it('trial batches (reproducible mode): the same proposals, cut-offs, results and table as one trial per activity', async () => {
    const one = await runSearch('wf-search-batch-1', searchInput({ trialsPerActivity: 1 }), undefined, 1);
    const auto = await runSearch('wf-search-batch-auto', searchInput(), undefined, 2);
    const four = await runSearch(
      'wf-search-batch-4',
      searchInput({ trialsPerActivity: 4, parallelism: 8 }),
      undefined,
      3,
    );
    expect(one.batchSizes.every((n) => n === 1)).to.equal(true);
    expect(one.batchSizes).to.have.length(30);
    // Automatic: one per activity until a trial is measured, then at most half the window (2 of 4) for these
    // 1 ms trials.
    expect(auto.batchSizes.slice(0, 2)).to.deep.equal([1, 1]);
    expect(Math.max(...auto.batchSizes)).to.equal(2);
    expect(four.batchSizes.filter((n) => n === 4).length).to.be.greaterThan(5);
    const rows = (run: Run) =>
      Object.fromEntries(
        run.table.map((r) => [
          r.index,
          JSON.stringify([r.status, r.params, r.metrics, r.rungScores, r.modelRef]),
        ]),
      );
    expect(byIndex(auto.inputs)).to.deep.equal(byIndex(one.inputs));
    expect(rows(auto)).to.deep.equal(rows(one));
    expect(auto.result.counts).to.deep.equal(one.result.counts);
    expect(auto.result.best.map((t) => t.trialId)).to.deep.equal(one.result.best.map((t) => t.trialId));
    // A wider window proposes differently (trial i sees 0 … i − 8): the same as one trial per activity with it.
    const fourSingle = await runSearch(
      'wf-search-batch-4-single',
      searchInput({ trialsPerActivity: 1, parallelism: 8 }),
      undefined,
      4,
    );
    expect(byIndex(four.inputs)).to.deep.equal(byIndex(fourSingle.inputs));
    expect(rows(four)).to.deep.equal(rows(fourSingle));
    // Every trial of a batch started only after trials 0 … i − window had finished.
    for (const [index, finished] of four.finishedAtStart)
      for (let j = 0; j <= index - 8; j++)
        expect(finished.has(j), `trial ${index} before ${j}`).to.equal(true);
  });

  it('a batch that fails mid-batch for good: its finished trials count from the failure, the rest fail, each once', async () => {
    const run = await runSearch(
      'wf-search-batch-fails',
      searchInput({
        trials: 20,
        parallelism: 8,
        trialsPerActivity: 4,
        // No retries: the batch's first failure is final.
        infraRetryWindowMs: 0,
        maxFailedShare: 1,
        strategy: { sampler: 'random', pruning: 'none', reproducible: true },
      }),
      async (i) => {
        if (i.trialId === 'trial-009')
          throw ApplicationFailure.retryable('store unreachable', 'InfrastructureFault');
        return curveTrial(i);
      },
    );
    // trial-009 is the 2nd of batch 8–11: 8 finished before it, 10 and 11 never ran.
    expect(run.batchSizes).to.deep.equal([4, 4, 4, 4, 4]);
    const ran = run.inputs.map((i) => i.trialId);
    expect(new Set(ran).size, 'no trial ran twice').to.equal(ran.length);
    expect(ran).to.not.include.members(['trial-010', 'trial-011']);
    expect(run.result.counts).to.deep.equal({ succeeded: 17, pruned: 0, failed: 3 });
    expect(run.table.map((r) => r.index).sort((x, y) => x - y)).to.deep.equal(
      Array.from({ length: 20 }, (_, i) => i),
    );
    const status = Object.fromEntries(run.table.map((r) => [r.trialId, [r.status, r.error]]));
    expect(status['trial-008']).to.deep.equal(['succeeded', undefined]);
    expect(status['trial-009']).to.deep.equal(['failed', 'store unreachable']);
    expect(status['trial-010']).to.deep.equal([
      'failed',
      'trial-010: not run, its batch failed: store unreachable',
    ]);
  });

  it('non-reproducible mode proposes from whatever has finished, within the window', async () => {
    let running = 0;
    let maxRunning = 0;
    const run = await runSearch(
      'wf-search-fast',
      searchInput({
        trials: 20,
        parallelism: 3,
        strategy: { sampler: 'random', pruning: 'none', reproducible: false },
      }),
      async (i) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        return curveTrial(i);
      },
    );
    expect(run.inputs).to.have.length(20);
    expect(maxRunning).to.be.at.most(3);
    expect(run.inputs.every((i) => i.pruning === undefined)).to.equal(true);
    expect(run.result.counts).to.deep.equal({ succeeded: 20, pruned: 0, failed: 0 });
  });

  it('hands trials each search its own ASHA rungs: 20/80/320 when new, 25/75/225/675 in runs carried from before the patch', async () => {
    const rungs = (run: Run) => [...new Set(run.inputs.map((i) => JSON.stringify(i.pruning?.rounds)))];
    const fresh = await runSearch('wf-search-rungs-new', searchInput({ trials: 6 }));
    expect(rungs(fresh)).to.deep.equal([JSON.stringify([20, 80, 320])]);
    // A continue-as-new input written by the code before 'asha-rungs-20-eta-4' carries no `asha`.
    const legacy = await runSearch(
      'wf-search-rungs-legacy',
      searchInput({
        trials: 6,
        carried: {
          nextIndex: 0,
          observations: [],
          leaderboard: [],
          failures: [],
          counts: { succeeded: 0, pruned: 0, failed: 0 },
        },
      }),
    );
    expect(rungs(legacy)).to.deep.equal([JSON.stringify([25, 75, 225, 675])]);
  });

  it('refuses more than 100,000 trials with a clear error', async () => {
    const err = await runSearch('wf-search-too-many', searchInput({ trials: 100_001 })).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    const messages: string[] = [];
    for (let e: unknown = err; e instanceof Error; e = (e as Error & { cause?: unknown }).cause)
      messages.push(e.message);
    expect(messages.join(' | ')).to.contain('trials must be an integer from 1 to 100000 (got 100001)');
  });

  it('records a TPE + ASHA search history with trial batches (replayed by replay.test.ts)', async () => {
    const run = await runSearch(
      'wf-search-batches',
      searchInput({ trials: 12, parallelism: 4, trialsPerActivity: 2, trialsPerRun: 100 }),
    );
    expect(run.result.counts!.succeeded + run.result.counts!.pruned).to.equal(12);
    expect(run.batchSizes).to.deep.equal([2, 2, 2, 2, 2, 2]);
    if (process.env.RECORD_HISTORY) {
      const history = await env.client.workflow.getHandle('wf-search-batches').fetchHistory();
      fs.writeFileSync(path.join(FIXTURES, 'search-batches-history.json'), historyToJSON(history));
    }
  });

  it('records a TPE + ASHA search history (replayed by replay.test.ts)', async () => {
    const run = await runSearch(
      'wf-search-tpe',
      searchInput({ trials: 12, parallelism: 3, trialsPerRun: 100 }),
    );
    expect(run.result.counts!.succeeded + run.result.counts!.pruned).to.equal(12);
    if (process.env.RECORD_HISTORY) {
      const history = await env.client.workflow.getHandle('wf-search-tpe').fetchHistory();
      fs.writeFileSync(path.join(FIXTURES, 'search-tpe-history.json'), historyToJSON(history));
    }
  });
});
