import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { expect } from 'chai';
import { Command } from 'commander';
import { loadConfig } from '../../src/config';
import { addScheduleCommands, type ScheduleCreateFlags } from '../../src/cli/schedule';
import { formatRetrainSchedule } from '../../src/cli/schedule-format';
import {
  backfillRetrainSchedule,
  createRetrainSchedule,
  deleteRetrainSchedule,
  describeRetrainSchedule,
  pauseRetrainSchedule,
  triggerRetrainSchedule,
  unpauseRetrainSchedule,
  type RetrainScheduleView,
} from '../../src/scheduling/retrain-schedule';
import type { RetrainCheckInput } from '../../src/contracts';
import { devServerEnv } from '../support/temporal';

const input: RetrainCheckInput = {
  dataUri: 'file://data/sample',
  filePrefix: 'Metro_Interstate_Traffic_Volume',
  training: {
    modelName: 'schedule-test-model',
    schema: { featureColumns: ['temp'], dateTimeColumn: 'date_time', targetColumn: 'traffic_volume' },
    trials: 4,
    top: 1,
    parallelism: 2,
    seed: 1,
    engine: 'auto',
    earlyStoppingRounds: 0,
    runFineTuning: true,
    registerModels: true,
  },
  policy: { retrainOnDrift: false, retrainOnDecay: false, psiThreshold: 0.2, decayRatio: 1.25 },
  trigger: 'ad-hoc',
};

async function waitFor(
  what: string,
  read: () => Promise<RetrainScheduleView>,
  ok: (v: RetrainScheduleView) => boolean,
): Promise<RetrainScheduleView> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const view = await read();
    if (ok(view)) return view;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(view)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

// The steps build on each other: one schedule goes through its whole life.
describe('retrain schedule (dev server)', function () {
  this.timeout(60_000);
  let env: TestWorkflowEnvironment;
  let client: Client;
  const scheduleId = 'test-retrain-schedule';
  const target = () => ({ client, scheduleId });
  const describeIt = () => describeRetrainSchedule(target());

  before(async function () {
    env = await devServerEnv();
    client = env.client;
  });

  after(async () => {
    await env?.teardown();
  });

  it('creates a paused schedule whose description shows the cron and the next runs', async () => {
    const result = await createRetrainSchedule({
      ...target(),
      taskQueue: 'schedule-test',
      trialTaskQueue: 'schedule-trials',
      input,
      cron: '30 4 * * *',
      paused: true,
      note: 'test',
    });
    expect(result).to.deep.equal({ scheduleId, created: true, updated: false });

    const view = await describeIt();
    expect(view).to.include({
      timezone: 'UTC',
      paused: true,
      note: 'test',
      workflowType: 'retrainCheckWorkflow',
      workflowId: `retrain-check-${scheduleId}`,
      taskQueue: 'schedule-test',
      modelName: 'schedule-test-model',
      overlap: ScheduleOverlapPolicy.SKIP,
      catchupWindowMs: 86_400_000,
      pauseOnFailure: false,
      actionsTaken: 0,
    });
    expect(view.cron).to.deep.equal(['30 4 * * *']);
    expect(view.nextActionTimes.length).to.be.at.least(3);
    for (const t of view.nextActionTimes) expect(t).to.match(/T04:30:00\.000Z$/);
    expect(view.recentActions).to.deep.equal([]);
    expect(formatRetrainSchedule(view)).to.contain('30 4 * * * UTC').and.contain('PAUSED');
  });

  it('leaves an existing schedule alone on a second create', async () => {
    const again = await createRetrainSchedule({
      ...target(),
      taskQueue: 'other-queue',
      trialTaskQueue: 'schedule-trials',
      input,
      cron: '0 1 * * *',
    });
    expect(again).to.deep.equal({ scheduleId, created: false, updated: false });
    const view = await describeIt();
    expect(view.cron).to.deep.equal(['30 4 * * *']);
    expect(view.taskQueue).to.equal('schedule-test');
    expect(view.paused).to.equal(true);
  });

  it('replaces spec and action with update: true, keeping the paused state', async () => {
    const updated = await createRetrainSchedule({
      ...target(),
      taskQueue: 'schedule-test',
      trialTaskQueue: 'schedule-trials',
      input,
      cron: '15 2 * * *',
      timezone: 'Europe/Berlin',
      update: true,
    });
    expect(updated).to.deep.equal({ scheduleId, created: false, updated: true });
    const view = await describeIt();
    expect(view.cron).to.deep.equal(['15 2 * * *']);
    expect(view.timezone).to.equal('Europe/Berlin');
    expect(view.paused).to.equal(true);
  });

  it('reflects pause and unpause in the description', async () => {
    await unpauseRetrainSchedule(target());
    expect((await describeIt()).paused).to.equal(false);
    await pauseRetrainSchedule({ ...target(), note: 'maintenance' });
    const view = await describeIt();
    expect(view.paused).to.equal(true);
    expect(view.note).to.equal('maintenance');
  });

  it('triggers a run that shows up as a recent action', async () => {
    // No worker: the started run waits on its first workflow task, which is enough to count as an action.
    await triggerRetrainSchedule(target());
    const view = await waitFor('a recent action', describeIt, (v) => v.recentActions.length > 0);
    expect(view.recentActions).to.have.length(1);
    const { workflowId } = view.recentActions[0];
    expect(workflowId).to.match(/^retrain-check-test-retrain-schedule-/);
    expect(view.runningWorkflowIds).to.deep.equal([workflowId]);
    const run = await client.workflow.getHandle(workflowId).describe();
    expect(run.type).to.equal('retrainCheckWorkflow');
    expect(run.taskQueue).to.equal('schedule-test');
    const [arg] =
      (await client.workflow.getHandle(workflowId).fetchHistory()).events?.[0]
        .workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
    expect(JSON.parse(Buffer.from(arg.data as Uint8Array).toString())).to.deep.include({
      trigger: 'schedule',
      dataUri: input.dataUri,
    });
  });

  it('backfills with SKIP: runs due while the triggered run is still open are skipped', async () => {
    // Three 02:15 Berlin times fall between these dates; the run started by trigger is still open.
    await backfillRetrainSchedule({
      ...target(),
      start: new Date('2024-05-01T00:00:00Z'),
      end: new Date('2024-05-04T00:00:00Z'),
    });
    const view = await waitFor('skipped backfill actions', describeIt, (v) => v.skippedOverlap >= 3);
    expect(view.skippedOverlap).to.equal(3);
    expect(view.recentActions).to.have.length(1);
  });

  it('rejects a backfill whose end is not after its start', async () => {
    const err = await backfillRetrainSchedule({
      ...target(),
      start: new Date('2024-05-04'),
      end: new Date('2024-05-01'),
    }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(Error);
    expect((err as Error).message).to.match(/must be before its end/);
  });

  it('deletes the schedule; describing it then fails with a clear not-found error', async () => {
    await deleteRetrainSchedule(target());
    const err = await describeIt().catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ScheduleNotFoundError);
    expect((err as Error).message).to.contain(`schedule "${scheduleId}" not found`);
    const pauseErr = await pauseRetrainSchedule(target()).catch((e: unknown) => e);
    expect(pauseErr).to.be.instanceOf(ScheduleNotFoundError);
  });

  describe('schedule commands', () => {
    const cliId = 'test-cli-schedule';
    let seenFlags: ScheduleCreateFlags | undefined;

    /** Runs `schedule …` through commander and returns what it printed. */
    async function run(...args: string[]): Promise<string> {
      const program = new Command('client').exitOverride().configureOutput({ writeErr: () => undefined });
      addScheduleCommands(program, {
        getClient: async () => ({ client, config: { ...loadConfig({}), taskQueue: 'cli-queue' } }),
        buildInput: (flags) => {
          seenFlags = flags;
          return { ...input, training: { ...input.training, modelName: flags.modelName } };
        },
      });
      const printed: string[] = [];
      const log = console.log;
      console.log = (...parts: unknown[]) => void printed.push(parts.join(' '));
      try {
        await program.parseAsync(['node', 'client', 'schedule', ...args]);
      } finally {
        console.log = log;
      }
      return printed.join('\n');
    }

    it('creates with the training flags and describes as JSON', async () => {
      const created = await run(
        'create',
        '--schedule-id',
        cliId,
        '--paused',
        '--cron',
        '0 5 * * 1',
        '--catchup-window',
        '2h',
        '--model-name',
        'cli-model',
        '--json',
      );
      expect(JSON.parse(created)).to.deep.equal({ scheduleId: cliId, created: true, updated: false });
      expect(seenFlags).to.include({
        modelName: 'cli-model',
        cron: '0 5 * * 1',
        paused: true,
        scheduleId: cliId,
      });
      expect(await run('create', '--schedule-id', cliId)).to.contain('already exists');

      const view = JSON.parse(await run('describe', '--schedule-id', cliId, '--json')) as RetrainScheduleView;
      expect(view).to.include({
        paused: true,
        taskQueue: 'cli-queue',
        modelName: 'cli-model',
        catchupWindowMs: 7_200_000,
      });
      expect(view.cron).to.deep.equal(['0 5 * * 1']);
      expect(await run('describe', '--schedule-id', cliId)).to.contain('0 5 * * 1 UTC');
    });

    it('rejects bad backfill dates, cron expressions and durations before calling the server', async () => {
      const err = await run(
        'backfill',
        '--schedule-id',
        cliId,
        '--start',
        '2024-13-01',
        '--end',
        '2024-05-02',
      ).catch((e: Error) => e);
      expect(String((err as Error).message)).to.contain('"2024-13-01" is not an ISO date');
      const feb30 = await run(
        'backfill',
        '--schedule-id',
        cliId,
        '--start',
        '2024-02-30',
        '--end',
        '2024-05-02',
      ).catch((e: Error) => e);
      expect(String((feb30 as Error).message)).to.contain('"2024-02-30" is not an ISO date');
      const cron = await run('create', '--schedule-id', 'x', '--cron', 'daily').catch((e: Error) => e);
      expect(String((cron as Error).message)).to.contain('"daily" is not a cron expression');
      const window = await run('create', '--schedule-id', 'x', '--catchup-window', 'soon').catch(
        (e: Error) => e,
      );
      expect(String((window as Error).message)).to.contain('"soon" is not a duration');
      const order = await run(
        'backfill',
        '--schedule-id',
        cliId,
        '--start',
        '2024-05-02',
        '--end',
        '2024-05-01',
      ).catch((e: Error) => e);
      expect(String((order as Error).message)).to.contain('must be before its end');
    });

    it('deletes, after which describe fails with a not-found error', async () => {
      expect(await run('delete', '--schedule-id', cliId)).to.equal(`deleted ${cliId}`);
      const err = await run('describe', '--schedule-id', cliId).catch((e: Error) => e);
      expect(err).to.be.instanceOf(ScheduleNotFoundError);
    });
  });
});
