import type { ChildProcess } from 'node:child_process';
import { Client, defaultPayloadConverter } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { expect } from 'chai';
import { startTraining } from '../../src/cli/training-run';
import type { AppConfig } from '../../src/config';
import { createWorkers, type RunningWorkers } from '../../src/runtime/workers';
import { openBlobStore } from '../../src/storage/from-uri';
import type { RunTrialBatchInput, TrainingResult, TrialTableRow } from '../../src/contracts';
import { testConfig, trainingInput, uploadSample, useDevServerAndS3 } from '../support/pipeline-harness';
import { startWorkerProcess, stopped } from '../support/worker-process';

const EventType = temporal.api.enums.v1.EventType;
const TRIALS = 8;

interface SearchOverProcesses {
  result: TrainingResult;
  table: TrialTableRow[];
  /** Trial activities started per worker process pid (from the activity-started events' identities). */
  trialsByPid: Map<number, number>;
  scheduled: string[];
  attempts: number[];
  completed: number;
}

/**
 * The multi-machine setup on one host: one Temporal dev server, one S3 bucket (moto), the main queue served
 * here, and the trial queue by separate `node dist/src/worker.js --queues trials` processes, each with its own
 * data-set cache. The search is reproducible (trial i sees trials 0 … i − parallelism only), so spreading it
 * over more processes must not change a single trial.
 */
describe('one search over several worker processes (real dev server, moto S3, sample data)', function () {
  this.timeout(900_000);
  let config: AppConfig;
  let main: RunningWorkers | undefined;
  let mainDone: Promise<void> | undefined;
  const children: ChildProcess[] = [];
  // Registered before the servers' hooks so that it runs first: the main worker holds the dev server's connection.
  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await Promise.all(children.map(stopped));
    main?.shutdown();
    await mainDone;
  });
  const infra = useDevServerAndS3();

  before(async () => {
    const { env, s3 } = infra;
    config = testConfig({
      dataUri: s3.uri('data'),
      artifactsUri: s3.uri('artifacts'),
      s3: s3.options,
    });
    await uploadSample(config.dataUri, config);
    // Workflows, prepare and the report only: every trial goes to the processes below.
    main = await createWorkers({
      config,
      connection: env.nativeConnection,
      trainingThreads: 1,
      serveMain: true,
      serveTrials: false,
    });
    mainDone = main.run();
  });

  async function searchOver(label: string, processes: number, threads: number): Promise<SearchOverProcesses> {
    const { env, s3 } = infra;
    const started = await Promise.all(
      Array.from({ length: processes }, () =>
        startWorkerProcess(
          env,
          config,
          { S3_ENDPOINT: s3.endpoint, S3_FORCE_PATH_STYLE: 'true', AWS_REGION: s3.options.region },
          ['--queues', 'trials', '--threads', String(threads)],
        ),
      ),
    );
    children.push(...started);
    try {
      const client = env.client as unknown as Client;
      const input = trainingInput(config, {
        modelName: `workers-${label}`,
        trials: TRIALS,
        top: 2,
        parallelism: 4,
        seed: 11,
        strategy: { sampler: 'tpe', pruning: 'asha', reproducible: true },
        registerModels: false,
      });
      const handle = await startTraining(client, config, input, `workers-${label}`);
      const result = await handle.result();
      const table = await readTable(config, result.search!.trialTableRef!);
      const history = await client.workflow.getHandle(`workers-${label}-search`).fetchHistory();
      const events = history.events ?? [];
      // Trial activities (runTrialBatch since patch 'trial-batches': several trials each) by scheduled event.
      const trialsOf = new Map<number, string[]>();
      const scheduled: string[] = [];
      for (const e of events) {
        const a = e.activityTaskScheduledEventAttributes;
        if (a?.activityType?.name === 'runTrialBatch') {
          const batch = defaultPayloadConverter.fromPayload<RunTrialBatchInput>(a.input!.payloads![0]);
          trialsOf.set(
            Number(e.eventId),
            batch.trials.map((t) => t.trialId),
          );
          scheduled.push(...batch.trials.map((t) => t.trialId));
        }
      }
      const trialsByPid = new Map<number, number>();
      const attempts: number[] = [];
      let completed = 0;
      for (const e of events) {
        const s = e.activityTaskStartedEventAttributes;
        const trials = s ? trialsOf.get(Number(s.scheduledEventId)) : undefined;
        if (s && trials) {
          attempts.push(...trials.map(() => s.attempt ?? 1));
          // The SDK's default identity: `${pid}@${hostname}`.
          const pid = Number((s.identity ?? '').split('@')[0]);
          trialsByPid.set(pid, (trialsByPid.get(pid) ?? 0) + trials.length);
        }
        const c = e.activityTaskCompletedEventAttributes;
        if (c) completed += trialsOf.get(Number(c.scheduledEventId))?.length ?? 0;
        expect(e.eventType, 'no trial activity failed or timed out').to.not.be.oneOf([
          EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED,
          EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
        ]);
      }
      for (const pid of trialsByPid.keys()) {
        expect(
          started.map((c) => c.pid),
          'only the trial-queue processes ran trials',
        ).to.include(pid);
      }
      return { result, table, trialsByPid, scheduled, attempts, completed };
    } finally {
      for (const child of started) child.kill('SIGTERM');
      await Promise.all(started.map(stopped));
    }
  }

  function expectEveryTrialOnce(run: SearchOverProcesses, processes: number): void {
    expect(run.scheduled).to.have.length(TRIALS);
    expect(new Set(run.scheduled).size, 'each trial in one activity').to.equal(TRIALS);
    expect(run.attempts, 'no trial was retried').to.deep.equal(new Array<number>(TRIALS).fill(1));
    expect(run.completed).to.equal(TRIALS);
    expect(run.table.map((r) => r.index).sort((a, b) => a - b)).to.deep.equal(
      Array.from({ length: TRIALS }, (_, i) => i),
    );
    const counts = run.result.search!.counts!;
    expect(counts.succeeded + counts.pruned).to.equal(TRIALS);
    expect(counts.failed).to.equal(0);
    expect(run.trialsByPid.size, 'every process took trials').to.equal(processes);
  }

  it('runs every trial exactly once over 2 and 3 processes, with the same trials as one process', async () => {
    const one = await searchOver('one-process', 1, 2);
    expectEveryTrialOnce(one, 1);
    const reference = outcomes(one.table);

    for (const processes of [2, 3]) {
      const run = await searchOver(`${processes}-processes`, processes, 1);
      expectEveryTrialOnce(run, processes);
      expect(outcomes(run.table), `${processes} processes: same trials as one`).to.deep.equal(reference);
      expect(run.result.search!.counts).to.deep.equal(one.result.search!.counts);
      expect(run.result.search!.leaderboard.map((t) => [t.trialId, t.metrics.rmse])).to.deep.equal(
        one.result.search!.leaderboard.map((t) => [t.trialId, t.metrics.rmse]),
      );
    }
  });
});

/** Every row of the table's batch objects as stored, without merging rows of one index (a duplicate shows). */
async function readTable(config: AppConfig, ref: string): Promise<TrialTableRow[]> {
  const store = openBlobStore(config.artifactsUri, config.s3);
  const keys = ref.endsWith('.jsonl')
    ? [ref]
    : (await store.list(ref)).map((info) => info.key).filter((key) => key.endsWith('.jsonl'));
  const rows: TrialTableRow[] = [];
  for (const key of keys) {
    const text = (await store.get(key)).toString('utf8');
    rows.push(
      ...text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as TrialTableRow),
    );
  }
  return rows;
}

/** What a trial is and what it scored, by index: everything but timings and storage keys. */
function outcomes(table: TrialTableRow[]): unknown[] {
  return [...table]
    .sort((a, b) => a.index - b.index)
    .map((r) => ({
      index: r.index,
      status: r.status,
      params: r.params,
      metrics: r.metrics,
      rounds: r.rounds,
      roundsTrained: r.roundsTrained,
    }));
}
