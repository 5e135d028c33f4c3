import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { expect } from 'chai';
import { WORKFLOW_FAILURE_ERROR_TYPES } from '../../src/runtime/workers';
import { workflowBundle } from '../../src/runtime/workflow-bundle';
import { retrainCheckWorkflow } from '../../src/workflows/retrain-check';
import type {
  AssessDriftInput,
  ChallengerCheckResult,
  CommitDataStateInput,
  CommitDataStateResult,
  DataObject,
  DataStateInspection,
  DescribeTrainingDataInput,
  DriftSummary,
  InspectDataStateInput,
  LiveAccuracySummary,
  MeasureLiveAccuracyInput,
  PrepareDatasetInput,
  PreparedDatasetSummary,
  RecheckChallengerInput,
  RefreshRecordInput,
  RefreshRecordResult,
  RegisterModelsInput,
  RegisterModelsResult,
  RetrainCheckWorkflowInput,
  RunTrialInput,
  TrainingDataDescription,
  TrainingLookup,
  TrialResult,
  UnreadableObject,
} from '../../src/contracts';
import type { MonitorDaysInput, MonitorDaysResult } from '../../src/contracts/monitoring';
import { timeSkippingEnv } from '../support/temporal';
import { trialActivitiesOf } from '../support/trial-batch-of';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures');
const PREFIX = 'T';
const SCHEMA = { featureColumns: ['temp'], dateTimeColumn: 'when', targetColumn: 'volume' };

/** An in-memory bucket, data state and registry behind the mocked activities. */
class World {
  files = new Map<number, { etag: string; sha256: string }>();
  unreadable: UnreadableObject[] = [];
  commits: CommitDataStateInput[] = [];
  storeDown = false;
  /** Called inside commitDataState before it compares: lets a test commit "concurrently". */
  beforeCommit?: () => void;
  drift?: DriftSummary;
  champion?: { version: number; datasetHash: string; rmse: number };
  versions: { version: number; datasetHash: string; trainingWorkflowId: string }[] = [];
  prepared: PrepareDatasetInput[] = [];
  trials: RunTrialInput[] = [];
  trainingInputs: unknown[] = [];
  inspections: InspectDataStateInput[] = [];
  driftInputs: AssessDriftInput[] = [];
  liveAccuracyInputs: MeasureLiveAccuracyInput[] = [];
  monitorInputs: MonitorDaysInput[] = [];
  monitorFails = false;
  trialRmse = 100;
  blockTrials?: Promise<void>;
  /** The inspection returns no object list (a bug or a changed activity): workflow code meets a TypeError. */
  corruptInspection = false;
  /** What the challenger's re-comparison answers (default: no challenger standing). */
  challenger: ChallengerCheckResult = { outcome: 'none' };
  challengerInputs: RecheckChallengerInput[] = [];
  /** What the refresh record answers (default: not better beyond noise). */
  refreshRecord: Omit<RefreshRecordResult, 'candidateVersion'> = {
    outcome: 'kept',
    reason: 'refresh record: test',
  };
  refreshRecordInputs: RefreshRecordInput[] = [];

  put(year: number, content: string, etag = `${content}-${Math.random().toString(36).slice(2, 6)}`): void {
    this.files.set(year, { etag, sha256: `sha(${content})` });
  }

  objects(): DataObject[] {
    return [...this.files.entries()]
      .sort(([a], [b]) => a - b)
      .map(([year, f]) => ({ key: `${PREFIX}_${year}.csv`, year, etag: f.etag, size: 1, sha256: f.sha256 }));
  }

  hashOf(years: number[], validationYear: number): string {
    return `ds[${years.map((y) => `${y}:${this.files.get(y)?.sha256}`).join(',')}|v${validationYear}]`;
  }
}

function activitiesFor(world: World, env: TestWorkflowEnvironment) {
  return {
    inspectDataState: async (input: InspectDataStateInput): Promise<DataStateInspection> => {
      world.inspections.push(input);
      const objects = world.objects();
      const last = world.commits.at(-1);
      const before = new Map((last?.objects ?? []).map((o) => [o.key, o.etag]));
      const diff = {
        added: [] as string[],
        changed: [] as string[],
        removed: [] as string[],
        unchanged: [] as string[],
      };
      for (const o of objects) {
        if (!before.has(o.key)) diff.added.push(o.key);
        else if (before.get(o.key) === o.etag) diff.unchanged.push(o.key);
        else diff.changed.push(o.key);
      }
      if (world.corruptInspection) return { diff } as unknown as DataStateInspection;
      return {
        objects,
        // A year is complete when its file has December rows; here: any content not named partial (jan-sep).
        completeYears: [...world.files.entries()]
          .filter(([, f]) => !f.sha256.startsWith('sha(jan-'))
          .map(([year]) => year)
          .sort((a, b) => a - b),
        diff,
        fingerprint: objects
          .map((o) => `${o.year}${o.etag}`)
          .join('')
          .replace(/[^a-z0-9]/gi, ''),
        stateSeq: world.commits.length,
        previousDatasetHash: last?.datasetHash,
        unreadable: world.unreadable,
      };
    },
    recheckChallenger: async (input: RecheckChallengerInput): Promise<ChallengerCheckResult> => {
      world.challengerInputs.push(input);
      return world.challenger;
    },
    judgeRefreshRecord: async (input: RefreshRecordInput): Promise<RefreshRecordResult> => {
      world.refreshRecordInputs.push(input);
      if (world.refreshRecord.outcome === 'promoted') {
        const v = world.versions.find((x) => x.version === input.candidateVersion)!;
        world.champion = { version: v.version, datasetHash: v.datasetHash, rmse: world.champion?.rmse ?? 0 };
      }
      return { ...world.refreshRecord, candidateVersion: input.candidateVersion };
    },
    assessDrift: async (input: AssessDriftInput) => {
      world.driftInputs.push(input);
      return world.drift;
    },
    monitorDays: async (input: MonitorDaysInput): Promise<MonitorDaysResult> => {
      world.monitorInputs.push(input);
      if (world.monitorFails)
        throw ApplicationFailure.nonRetryable('monitoring database: down', 'InvalidInput');
      return {
        championVersion: 1,
        records: input.days.map((day) => ({ day, key: `k/${day}`, rows: 24, served: 24, drifted: [] })),
        database: 'off',
        alerts: (input.events ?? []).map((e) => ({
          cause: e.kind,
          day: input.days[0],
          status: 'sent',
          attempts: 1,
        })),
      };
    },
    measureLiveAccuracy: async (input: MeasureLiveAccuracyInput): Promise<LiveAccuracySummary> => {
      world.liveAccuracyInputs.push(input);
      return {
        matched: 24,
        unmatched: 0,
        duplicates: 0,
        ambiguousLabels: 0,
        byVersion: [{ version: 1, rows: 24, rmse: 300, mae: 200, from: 'a', to: 'b' }],
        labelledRows: 24,
        unreadable: [],
        logFiles: 1,
        badLogLines: 0,
      };
    },
    describeTrainingData: async (input: DescribeTrainingDataInput): Promise<TrainingDataDescription> => ({
      datasetHash: world.hashOf(
        input.years.filter((y) => y !== input.validationYear),
        input.validationYear,
      ),
      champion: world.champion && {
        version: world.champion.version,
        datasetHash: world.champion.datasetHash,
      },
    }),
    commitDataState: async (input: CommitDataStateInput): Promise<CommitDataStateResult> => {
      if (world.storeDown) throw new Error('artifact store unreachable');
      world.beforeCommit?.();
      world.beforeCommit = undefined;
      // Without expectedSeq (checks before compare-and-set) a commit is a blind put, as the activity does.
      if (input.expectedSeq !== undefined && input.expectedSeq !== world.commits.length)
        return { stateRef: 's', committed: false, seq: world.commits.length };
      world.commits.push(input);
      return { stateRef: 's', committed: true, seq: world.commits.length };
    },
    findTraining: async ({ workflowId }: { workflowId: string }): Promise<TrainingLookup> => {
      // A plain client, as the real activity has: the test environment's client would unlock time skipping
      // while it waits for the result, a second time inside the test's own wait, and the server could then
      // skip past the check's run timeout while this activity runs.
      const handle = new Client({ connection: env.connection }).workflow.getHandle(workflowId);
      const status = (await handle.describe()).status.name;
      if (status === 'RUNNING') return { status: 'running' };
      if (status !== 'COMPLETED') return { status: 'failed' };
      return { status: 'completed', result: await handle.result() };
    },
    appendTrialTable: async (a: { searchWorkflowId: string; rows: unknown[] }) => ({
      tableRef: `trials/${a.searchWorkflowId}.jsonl`,
      rows: a.rows.length,
    }),
    buildRunReport: async (i: { runId: string }) => ({
      reportRef: `reports/${i.runId}.html`,
      bytes: 1,
      buildMs: 1,
    }),
    prepareDataset: async (input: PrepareDatasetInput): Promise<PreparedDatasetSummary> => {
      world.prepared.push(input);
      const hash = world.hashOf(
        input.years.filter((y) => y !== input.validationYear),
        input.validationYear,
      );
      return {
        datasetRef: `datasets/${hash}`,
        datasetHash: hash,
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
    registerModels: async (input: RegisterModelsInput): Promise<RegisterModelsResult> => {
      const best = input.trials[0];
      const champion = world.champion;
      if (input.onlyIfBetterThanChampion && champion && best.metrics.rmse >= champion.rmse) {
        return {
          modelName: input.modelName,
          versions: [],
          champion: {
            decision: 'not-registered',
            championVersion: champion.version,
            candidate: { version: 0, rmse: best.metrics.rmse },
            validationYear: input.dataset.validationYear,
            reason: 'not better',
          },
        };
      }
      const version = world.versions.length + 1;
      world.versions.push({
        version,
        datasetHash: input.dataset.datasetHash,
        trainingWorkflowId: input.trainingWorkflowId,
      });
      const promoted = !champion || best.metrics.rmse < champion.rmse;
      if (promoted)
        world.champion = { version, datasetHash: input.dataset.datasetHash, rmse: best.metrics.rmse };
      return {
        modelName: input.modelName,
        versions: [{ version, trialId: best.trialId, rmse: best.metrics.rmse }],
        champion: {
          decision: champion ? (promoted ? 'promoted' : 'kept') : 'first-champion',
          championVersion: world.champion!.version,
          candidate: { version, rmse: best.metrics.rmse },
          validationYear: input.dataset.validationYear,
          reason: 'test',
        },
      };
    },
  };
}

function checkInput(overrides: Partial<RetrainCheckWorkflowInput> = {}): RetrainCheckWorkflowInput {
  return {
    dataUri: 's3://bucket/data',
    filePrefix: PREFIX,
    training: {
      modelName: 'm',
      schema: SCHEMA,
      trials: 2,
      top: 1,
      parallelism: 2,
      seed: 42,
      engine: 'auto',
      earlyStoppingRounds: 0,
      runFineTuning: true,
      registerModels: true,
    },
    policy: { retrainOnDrift: false, retrainOnDecay: false, psiThreshold: 0.2, decayRatio: 1.25 },
    trigger: 'schedule',
    trialTaskQueue: 'unset',
    ...overrides,
  };
}

function chain(err: unknown): string {
  const messages: string[] = [];
  for (let e: unknown = err; e instanceof Error; e = (e as Error & { cause?: unknown }).cause) {
    const type = (e as Error & { type?: string }).type;
    messages.push(type ? `${type}: ${e.message}` : e.message);
  }
  return messages.join(' | ');
}

describe('retraining check workflow (time-skipping server, mocked activities)', function () {
  this.timeout(180_000);
  let env: TestWorkflowEnvironment;
  let world: World;
  let queue = '';
  let trialQueue = '';
  let n = 0;

  before(async () => {
    env = await timeSkippingEnv();
  });
  after(async () => {
    await env?.teardown();
  });
  beforeEach(() => {
    world = new World();
    n++;
    queue = `rc-main-${n}`;
    trialQueue = `rc-trials-${n}`;
  });

  /** Runs `fn` with a main worker (real workflows, mocked activities) and, unless `trials` is false, a trial worker. */
  async function withWorkers<T>(fn: () => Promise<T>, opts: { trials?: boolean } = {}): Promise<T> {
    const main = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: queue,
      workflowBundle: await workflowBundle(),
      activities: activitiesFor(world, env),
      workflowFailureErrorTypes: WORKFLOW_FAILURE_ERROR_TYPES,
    });
    if (opts.trials === false) return main.runUntil(fn);
    const trials = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: trialQueue,
      activities: trialActivitiesOf(async (input: RunTrialInput): Promise<TrialResult> => {
        world.trials.push(input);
        await world.blockTrials;
        return {
          trialId: input.trialId,
          params: input.params,
          metrics: { rmse: world.trialRmse + Number(input.trialId.slice(-1)), mae: 1, r2: 0.5 },
          trainMs: 1,
          modelRef: `models/${input.trialId}`,
          rounds: 10,
          engine: 'native',
          engineVersion: 'test',
        };
      }),
    });
    return trials.runUntil(main.runUntil(fn));
  }

  const run = (id: string, overrides: Partial<RetrainCheckWorkflowInput> = {}) =>
    env.client.workflow.execute(retrainCheckWorkflow, {
      taskQueue: queue,
      workflowId: id,
      args: [checkInput({ trialTaskQueue: trialQueue, ...overrides })],
    });
  const runFailing = (id: string, overrides: Partial<RetrainCheckWorkflowInput> = {}) =>
    run(id, overrides).then(
      () => expect.fail('the check should have failed'),
      (e: unknown) => chain(e),
    );
  const taskFailures = async (id: string) =>
    ((await env.client.workflow.getHandle(id).fetchHistory()).events ?? []).filter(
      (e) => e.workflowTaskFailedEventAttributes,
    ).length;

  it('trains on first sight, commits by compare-and-set, and is a no-op when nothing is new', async () => {
    world.put(2015, 'a');
    world.put(2016, 'b');
    const first = await withWorkers(() => run('rc-first'));
    expect(first).to.include({ decision: 'new-data', retrained: true, stateCommitted: true });
    expect(world.commits).to.have.length(1);
    expect(world.commits[0]).to.include({ expectedSeq: 0, modelName: 'm', filePrefix: PREFIX });
    expect(world.commits[0].datasetHash).to.equal(first.training?.datasetHash);
    expect(world.prepared[0]).to.deep.include({ years: [2015, 2016], validationYear: 2016 });
    // The training reads each file only while it has the ETag this check inspected.
    expect(world.prepared[0].expectedObjects).to.deep.equal(
      [2015, 2016].map((year) => ({ key: `${PREFIX}_${year}.csv`, etag: world.files.get(year)!.etag })),
    );
    const second = await withWorkers(() => run('rc-second'));
    expect(second).to.include({ decision: 'no-new-data', retrained: false, stateCommitted: false });
    expect(world.prepared).to.have.length(1);

    if (process.env.RECORD_HISTORY) {
      const history = await env.client.workflow.getHandle('rc-first').fetchHistory();
      fs.writeFileSync(path.join(FIXTURES, 'retrain-check-v2-history.json'), historyToJSON(history));
    }
  });

  it('joins the prediction log with the newly arrived files only, and reports the live accuracy (issue 16 part 6)', async () => {
    world.put(2014, 'z');
    world.put(2015, 'a');
    const first = await withWorkers(() => run('rc-live-1'));
    expect(world.liveAccuracyInputs.map((i) => i.keys)).to.deep.equal([['T_2014.csv', 'T_2015.csv']]);
    expect(world.liveAccuracyInputs[0]).to.include({ modelName: 'm', checkId: 'rc-live-1' });
    expect(first.liveAccuracy?.byVersion[0]).to.include({ version: 1, rows: 24, rmse: 300 });
    world.put(2016, 'b');
    const second = await withWorkers(() => run('rc-live-2'));
    expect(world.liveAccuracyInputs.map((i) => i.keys)).to.deep.equal([
      ['T_2014.csv', 'T_2015.csv'],
      ['T_2016.csv'],
    ]);
    expect(second.liveAccuracy?.matched).to.equal(24);
    // Nothing new: nothing to join, no live accuracy.
    const third = await withWorkers(() => run('rc-live-3'));
    expect(third.decision).to.equal('no-new-data');
    expect(third.liveAccuracy).to.equal(undefined);
    expect(world.liveAccuracyInputs).to.have.length(2);
  });

  it('the schema and the model name travel with every check activity (7, 5)', async () => {
    world.put(2015, 'a');
    world.put(2016, 'b');
    world.drift = undefined;
    await withWorkers(() => run('rc-schema'));
    expect(world.inspections[0]).to.deep.include({ modelName: 'm', filePrefix: PREFIX, schema: SCHEMA });
    expect(world.driftInputs[0].schema).to.deep.equal(SCHEMA);
  });

  it('recovers a training whose commit was lost: the next check finds it done and commits, no second training (1)', async () => {
    world.put(2015, 'a');
    world.put(2016, 'b');
    // A better champion exists, so the training is kept out of the alias and its data set is not the champion's.
    world.champion = { version: 1, datasetHash: 'older', rmse: 1 };
    world.storeDown = true;
    const failure = await withWorkers(() => runFailing('rc-stuck-1'));
    expect(failure).to.contain('artifact store unreachable');
    expect(world.commits).to.have.length(0);
    world.storeDown = false;
    const next = await withWorkers(() => run('rc-stuck-2'));
    expect(next).to.include({ decision: 'new-data', retrained: true, stateCommitted: true });
    expect(next.reasons.join(' ')).to.contain('had already completed');
    expect(world.prepared, 'one training for one data state').to.have.length(1);
    const after = await withWorkers(() => run('rc-stuck-3'));
    expect(after.decision).to.equal('no-new-data');
  });

  it('does not overwrite a state another check committed first (1)', async () => {
    world.put(2015, 'a');
    world.put(2016, 'b');
    world.beforeCommit = () => world.commits.push({ dataUri: 'x', objects: [], trainingWorkflowId: 'other' });
    const result = await withWorkers(() => run('rc-cas'));
    expect(result).to.include({ retrained: true, stateCommitted: false });
    expect(result.commitNote).to.contain('another check committed state 1 first');
    expect(world.commits.map((c) => c.trainingWorkflowId)).to.deep.equal(['other']);
  });

  it('answers already-training while the training of the same state still runs', async () => {
    world.put(2015, 'a');
    world.put(2016, 'b');
    let release!: () => void;
    world.blockTrials = new Promise((r) => (release = r));
    const outcome = await withWorkers(async () => {
      const first = env.client.workflow.start(retrainCheckWorkflow, {
        taskQueue: queue,
        workflowId: 'rc-twice-1',
        args: [checkInput({ trialTaskQueue: trialQueue })],
      });
      const handle = await first;
      while (world.trials.length === 0) await new Promise((r) => setTimeout(r, 50));
      const second = await run('rc-twice-2');
      release();
      return { first: await handle.result(), second };
    });
    expect(outcome.second).to.include({ decision: 'already-training', stateCommitted: false });
    expect(outcome.second.reasons.join(' ')).to.contain('still running');
    expect(outcome.first).to.include({ retrained: true, stateCommitted: true });
    expect(world.prepared).to.have.length(1);
  });

  it('fails with a RetrainPolicyError, not endless workflow-task retries, when the data cannot be split (2)', async () => {
    world.put(2016, 'b');
    const failure = await withWorkers(() => runFailing('rc-policy'));
    expect(failure).to.contain('RetrainPolicyError').and.contain('only 2016 is present');
    expect(await taskFailures('rc-policy')).to.equal(0);
    expect(world.commits).to.have.length(0);
  });

  it('fails when an explicit validation year would leave a newer year out of training (11)', async () => {
    world.put(2015, 'a');
    world.put(2016, 'b');
    world.put(2017, 'c');
    const failure = await withWorkers(() => runFailing('rc-valyear', { validationYear: 2016 }));
    expect(failure).to.contain('RetrainPolicyError').and.contain('2017 after validation year 2016');
    expect(world.commits).to.have.length(0);
  });

  it('validates on a partial newest year rather than skipping it (11)', async () => {
    world.put(2015, 'a');
    world.put(2016, 'b');
    world.put(2017, 'jan-sep');
    await withWorkers(() => run('rc-partial'));
    expect(world.prepared[0]).to.deep.include({ years: [2015, 2016, 2017], validationYear: 2017 });
    expect(world.commits).to.have.length(1);
  });

  it('fails clearly on an unreadable file and commits nothing (11)', async () => {
    world.put(2015, 'a');
    world.put(2016, 'b');
    world.unreadable = [{ key: 'T_2016.csv', error: 'T_2016.csv: missing column(s) temp' }];
    const failure = await withWorkers(() => runFailing('rc-unreadable'));
    expect(failure).to.contain('UnreadableDataFile').and.contain('missing column(s) temp');
    expect(world.commits).to.have.length(0);
    expect(world.prepared).to.have.length(0);
  });

  it('skips training when the data set is the champion’s: unchanged-training-data (4, 10)', async () => {
    world.put(2015, 'a');
    world.put(2016, 'b');
    await withWorkers(() => run('rc-same-1'));
    world.put(2016, 'b'); // same bytes, new ETag
    const result = await withWorkers(() => run('rc-same-2'));
    expect(result).to.include({
      decision: 'unchanged-training-data',
      retrained: false,
      stateCommitted: true,
    });
    expect(result.reasons.join(' ')).to.contain('champion v1 was trained on');
    expect(world.prepared).to.have.length(1);
    expect(world.versions).to.have.length(1);
    expect((await withWorkers(() => run('rc-same-3'))).decision).to.equal('no-new-data');
  });

  it('retrains on drift as a distinct run: own id, new seed, trigger recorded, register only if better (3)', async () => {
    world.put(2015, 'a');
    world.put(2016, 'b');
    await withWorkers(() => run('rc-drift-0'));
    const policy = { retrainOnDrift: true, retrainOnDecay: false, psiThreshold: 0.2, decayRatio: 1.25 };
    world.drift = {
      reportRef: 'r',
      championVersion: 1,
      rows: 5000,
      maxPsi: 0.5,
      drifted: ['temp'],
      smallSample: false,
      unreadable: [],
      psi: { temp: 0.5 },
    };
    const a = await withWorkers(() => run('rc-drift-1', { policy }));
    const b = await withWorkers(() => run('rc-drift-2', { policy }));
    expect(a).to.include({ decision: 'drift', retrained: true });
    expect(a.trainingWorkflowId).to.match(/-drift$/);
    // Still drifted the next day, same files: the drift run of this data state already ran.
    expect(b).to.include({ decision: 'already-retrained', retrained: false, stateCommitted: false });
    expect(b.trainingWorkflowId).to.equal(a.trainingWorkflowId);
    expect(b.reasons.join(' ')).to.contain('drift-triggered training of this data state already ran');
    expect(world.prepared, 'two trainings: first sight and one drift run').to.have.length(2);
    const described = await env.client.workflow.getHandle(a.trainingWorkflowId!).describe();
    expect(described.memo).to.include({ retrainTrigger: 'drift' });
    const started = (await env.client.workflow.getHandle(a.trainingWorkflowId!).fetchHistory()).events![0]
      .workflowExecutionStartedEventAttributes!;
    const args = JSON.parse(Buffer.from(started.input!.payloads![0].data!).toString()) as {
      seed: number;
      trigger: string;
      registerOnlyIfBetter: boolean;
    };
    expect(args).to.include({ trigger: 'retrain-drift', registerOnlyIfBetter: true });
    expect(args.seed).to.not.equal(42);
    // Equal RMSE: the drift runs registered nothing.
    expect(world.versions).to.have.length(1);
    expect(a.training?.championDecision).to.equal('not-registered');
    if (process.env.RECORD_HISTORY) {
      for (const [id, file] of [
        ['rc-drift-1', 'retrain-check-drift-once-history.json'],
        ['rc-drift-2', 'retrain-check-already-retrained-history.json'],
      ]) {
        const history = await env.client.workflow.getHandle(id).fetchHistory();
        fs.writeFileSync(path.join(FIXTURES, file), historyToJSON(history));
      }
    }
    // New data trains as usual; a drift persisting on that new state earns one more drift run.
    world.put(2017, 'c');
    expect((await withWorkers(() => run('rc-drift-3', { policy }))).decision).to.equal('new-data');
    const c = await withWorkers(() => run('rc-drift-4', { policy }));
    expect(c).to.include({ decision: 'drift', retrained: true });
    expect(c.trainingWorkflowId).to.not.equal(a.trainingWorkflowId);
    expect(world.prepared).to.have.length(4);
  });

  it('does not commit the state with --register false or --fine-tuning false (12)', async () => {
    world.put(2015, 'a');
    world.put(2016, 'b');
    const noRegister = await withWorkers(() =>
      run('rc-noreg', { training: { ...checkInput().training, registerModels: false } }),
    );
    expect(noRegister).to.include({ retrained: true, stateCommitted: false });
    expect(noRegister.commitNote).to.contain('--register false');
    const noSearch = await withWorkers(() =>
      run('rc-nosearch', { training: { ...checkInput().training, runFineTuning: false } }),
    );
    expect(noSearch.commitNote).to.contain('--fine-tuning false');
    expect(world.commits).to.have.length(0);
  });

  it('bounds the training it starts by an execution timeout, so a search with no trial worker cannot hang the schedule (12)', async () => {
    world.put(2015, 'a');
    world.put(2016, 'b');
    let release!: () => void;
    world.blockTrials = new Promise((r) => (release = r));
    // (The time-skipping server does not skip time while an activity waits for a worker, so the timeout itself
    // is exercised by the soak year's worker-less day; here: the child carries it.)
    const timeout = await withWorkers(async () => {
      const handle = await env.client.workflow.start(retrainCheckWorkflow, {
        taskQueue: queue,
        workflowId: 'rc-timeout',
        args: [checkInput({ trialTaskQueue: trialQueue, trainingTimeoutMinutes: 30 })],
      });
      while (world.trials.length === 0) await new Promise((r) => setTimeout(r, 50));
      release();
      const result = await handle.result();
      const child = await env.client.workflow.getHandle(result.trainingWorkflowId!).describe();
      return child.raw.executionConfig?.workflowExecutionTimeout;
    });
    expect(Number(timeout?.seconds)).to.equal(30 * 60);
  });
  it('fails the check on any other error in its workflow code, with no workflow-task retries (2)', async () => {
    world.put(2015, 'a');
    world.put(2016, 'b');
    world.corruptInspection = true;
    const failure = await withWorkers(() => runFailing('rc-bug'));
    expect(failure).to.contain('TypeError');
    expect(await taskFailures('rc-bug')).to.equal(0);
    expect(world.commits).to.have.length(0);
  });

  it('retrains on decay as a distinct run of its own that registers only if better (3)', async () => {
    world.put(2015, 'a');
    world.put(2016, 'b');
    await withWorkers(() => run('rc-decay-0'));
    const policy = { retrainOnDrift: false, retrainOnDecay: true, psiThreshold: 0.2, decayRatio: 1.25 };
    world.drift = {
      reportRef: 'r',
      championVersion: 1,
      rows: 5000,
      maxPsi: 0.01,
      drifted: [],
      smallSample: false,
      unreadable: [],
      psi: { temp: 0.01 },
      decay: { rmse: 300, validationRmse: 100, ratio: 3 },
    };
    const result = await withWorkers(() => run('rc-decay-1', { policy }));
    expect(result).to.include({ decision: 'decay', retrained: true });
    // One decay run per data state: its id is the state's, not the check's.
    expect(result.trainingWorkflowId).to.match(/-decay$/);
    expect(world.prepared).to.have.length(2);
    expect(world.versions, 'equal RMSE: nothing registered').to.have.length(1);
    const again = await withWorkers(() => run('rc-decay-2', { policy }));
    expect(again).to.include({ decision: 'already-retrained', retrained: false });
    expect(world.prepared).to.have.length(2);
  });
  it('re-compares a standing challenger before anything else and reports its comparison; decay follows its verdict (issue 16)', async () => {
    world.put(2015, 'a');
    world.put(2016, 'b');
    await withWorkers(() => run('rc-challenger-0'));
    const comparison = {
      from: '2017-01-01 00:00:00',
      to: '2017-01-31 23:00:00',
      rows: 744,
      days: 31,
      champion: { version: 1, rmse: 500 },
      challenger: { version: 2, rmse: 420 },
      difference: { estimate: -80, low: -120, high: -40 },
      decision: 'promoted' as const,
      reason: 'v2 promoted over champion v1',
    };
    world.challenger = { outcome: 'promoted', championVersion: 2, challengerVersion: 2, comparison };
    // Decay by the plain ratio (3×) but not by the evidence rule: the verdict decides, no retraining.
    world.drift = {
      reportRef: 'r',
      championVersion: 2,
      rows: 5000,
      maxPsi: 0.01,
      drifted: [],
      smallSample: false,
      unreadable: [],
      psi: { temp: 0.01 },
      decay: { rmse: 300, validationRmse: 100, ratio: 3, verdict: 'too-few-days', reason: '3 day(s)' },
    };
    const policy = { retrainOnDrift: false, retrainOnDecay: true, psiThreshold: 0.2, decayRatio: 1.3 };
    const result = await withWorkers(() =>
      run('rc-challenger-1', {
        policy,
        training: { ...checkInput().training, evidence: { minComparisonDays: 21, promotionConfidence: 0.9 } },
      }),
    );
    expect(result).to.include({ decision: 'no-new-data', retrained: false });
    expect(result.comparison).to.deep.equal(comparison);
    expect(result.challenger?.outcome).to.equal('promoted');
    expect(result.reasons[0]).to.contain('challenger v2').and.contain('promoted');
    expect(result.reasons.join('; ')).to.contain('no decay: 3 day(s)');
    const recheck = world.challengerInputs.at(-1);
    expect(recheck?.evidence).to.deep.equal({ minComparisonDays: 21, promotionConfidence: 0.9 });
    expect(recheck?.objects.map((o) => o.year)).to.deep.equal([2015, 2016]);
    expect(world.driftInputs.at(-1)).to.deep.include({
      evidence: { minComparisonDays: 21, promotionConfidence: 0.9 },
      decayRatio: 1.3,
    });

    if (process.env.RECORD_HISTORY) {
      const history = await env.client.workflow.getHandle('rc-challenger-1').fetchHistory();
      fs.writeFileSync(path.join(FIXTURES, 'retrain-check-challenger-history.json'), historyToJSON(history));
    }
  });

  it('a refit kept at registration is judged by the refresh record and promoted when refitting paid (issue 16 8e)', async () => {
    world.put(2014, 'a');
    world.put(2015, 'b');
    world.trialRmse = 100;
    const first = await withWorkers(() => run('rc-record-1'));
    expect(first.training?.championDecision).to.equal('first-champion');
    // The first champion is not judged: nothing is kept at registration.
    expect(world.refreshRecordInputs).to.have.length(0);

    // New months arrive; the candidate is kept at registration (as selected it is no better): the record decides.
    world.put(2016, 'c');
    world.trialRmse = 200;
    world.refreshRecord = {
      outcome: 'promoted',
      championVersion: 2,
      reason:
        'refresh record: refitting pays (test numbers); v2, the newest refit, promoted over champion v1',
    };
    const second = await withWorkers(() => run('rc-record-2'));
    expect(second, JSON.stringify(second)).to.include({ retrained: true });
    expect(world.refreshRecordInputs).to.have.length(1);
    expect(world.refreshRecordInputs[0]).to.deep.include({
      modelName: 'm',
      candidateVersion: 2,
      checkId: 'rc-record-2',
      dataUri: checkInput().dataUri,
    });
    expect(world.refreshRecordInputs[0].objects.map((o) => o.year)).to.deep.equal([2014, 2015, 2016]);
    expect(second.refreshRecord?.outcome).to.equal('promoted');
    expect(second.training).to.include({
      championVersion: 2,
      championDecision: 'promoted-by-refresh-record',
    });
    expect(second.reasons).to.include(world.refreshRecord.reason);

    // Not better: the champion stays and the check says why.
    world.put(2017, 'd');
    world.refreshRecord = {
      outcome: 'kept',
      reason: 'refresh record: refitting not better beyond noise: test',
    };
    const third = await withWorkers(() => run('rc-record-3'));
    expect(third.refreshRecord?.outcome).to.equal('kept');
    expect(third.training).to.include({ championVersion: 2, championDecision: 'kept' });
    expect(third.reasons).to.include(world.refreshRecord.reason);
  });

  it('writes the monitoring record on every check, new data or not, alerts decay and failures, and never fails on monitoring (17)', async () => {
    world.put(2015, 'a');
    world.put(2016, 'b');
    const first = await withWorkers(() => run('rc-monitor-1', { monitorDay: '2016-06-20' }));
    expect(first.monitoring).to.deep.equal({ day: '2016-06-20', records: 1, alerts: 0 });
    expect(world.monitorInputs[0]).to.deep.include({
      modelName: 'm',
      filePrefix: PREFIX,
      days: ['2016-06-20'],
      events: [],
    });
    const idle = await withWorkers(() => run('rc-monitor-2'));
    expect(idle.decision).to.equal('no-new-data');
    expect(world.monitorInputs[1].days[0]).to.match(/^\d{4}-\d{2}-\d{2}$/);

    const policy = { retrainOnDrift: false, retrainOnDecay: true, psiThreshold: 0.2, decayRatio: 1.25 };
    world.drift = {
      reportRef: 'r',
      championVersion: 1,
      rows: 5000,
      maxPsi: 0.01,
      drifted: [],
      smallSample: false,
      unreadable: [],
      psi: { temp: 0.01 },
      decay: { rmse: 300, validationRmse: 100, ratio: 3 },
    };
    const decayed = await withWorkers(() =>
      run('rc-monitor-3', { policy, alertWebhookUrl: 'http://hook.invalid/x' }),
    );
    expect(decayed.decision).to.equal('decay');
    expect(world.monitorInputs[2].events).to.deep.equal([
      { kind: 'decay', rmse: 300, validationRmse: 100, ratio: 3 },
    ]);
    expect(world.monitorInputs[2].alertWebhookUrl).to.equal('http://hook.invalid/x');
    world.drift = undefined;

    world.monitorFails = true;
    const despite = await withWorkers(() => run('rc-monitor-4'));
    expect(despite.decision).to.equal('no-new-data');
    expect(despite.monitoring?.error).to.equal('monitoring database: down');
    world.monitorFails = false;

    world.put(2016, 'c');
    world.unreadable = [{ key: 'T_2016.csv', error: 'T_2016.csv: missing column(s) temp' }];
    const failure = await withWorkers(() => runFailing('rc-monitor-5'));
    expect(failure).to.contain('UnreadableDataFile');
    const last = world.monitorInputs[world.monitorInputs.length - 1];
    expect(last.events).to.have.length(1);
    expect(last.events?.[0]).to.deep.include({ kind: 'check-failed', checkId: 'rc-monitor-5' });
  });
});
