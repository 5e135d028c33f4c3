import { Client } from '@temporalio/client';
import { expect } from 'chai';
import { startTraining } from '../../src/cli/training-run';
import type { AppConfig } from '../../src/config';
import { ModelRegistry } from '../../src/registry/model-registry';
import { readTrialTable } from '../../src/activities/trial-table';
import { openBlobStore } from '../../src/storage/from-uri';
import { searchProgressQuery } from '../../src/workflows/search';
import type { TrainingResult, TrialBatchProgress, TrialTableRow } from '../../src/contracts';
import { defaultPayloadConverter, type WorkflowHandle } from '@temporalio/client';
import { testConfig, trainingInput } from '../support/pipeline-harness';
import { startWorkerProcess, stopped, useDevServerAndWorkerProcesses } from '../support/worker-process';

describe('search survives a SIGKILLed worker process (real dev server, file storage, sample data)', function () {
  this.timeout(1_200_000);
  const servers = useDevServerAndWorkerProcesses();
  const { children } = servers;

  it('accounts every trial once, proposes as an uninterrupted run, and registers exactly --top versions', async () => {
    const config = testConfig({});
    const env = servers.env();
    const client = env.client as unknown as Client;
    const trials = 24;
    const input = (modelName: string) =>
      trainingInput(config, {
        modelName,
        trials,
        top: 2,
        parallelism: 12,
        // Batches of 6 trials (patch 'trial-batches'): the kill lands in the middle of one.
        trialsPerActivity: 6,
        seed: 5,
        strategy: { sampler: 'tpe', pruning: 'asha', reproducible: true },
      });

    children.push(await startWorkerProcess(env, config));
    const crashed = await startTraining(client, config, input('crash-model'), 'crash-run');
    const search = client.workflow.getHandle('crash-run-search');
    // Kill the worker in the middle of a batch: some of its trials heartbeated as finished, others not yet.
    let midBatch: { activityId: string; progress: TrialBatchProgress } | undefined;
    while (!midBatch) {
      const progress = await search.query(searchProgressQuery).catch(() => undefined);
      if (progress && progress.done + progress.failed >= trials) {
        throw new Error('the search finished before the worker could be killed mid-batch');
      }
      midBatch = await batchMidway(search);
      if (!midBatch) await new Promise((r) => setTimeout(r, 20));
    }
    children[0].kill('SIGKILL');
    await stopped(children[0]);
    children.push(await startWorkerProcess(env, config));
    const result: TrainingResult = await crashed.result();

    // The kill interrupted running trials: they were retried (attempt 2) on the new worker.
    const history = await search.fetchHistory();
    const retried = (history.events ?? []).filter(
      (e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1,
    );
    expect(retried.length).to.be.greaterThan(0);

    // That batch ran again (attempt 2) from its heartbeat: the trials it had reported finished were not
    // trained again (a re-run would have measured another training time), and each is in the table once.
    const scheduled = (history.events ?? []).find(
      (e) => e.activityTaskScheduledEventAttributes?.activityId === midBatch.activityId,
    );
    const restarted = (history.events ?? []).filter(
      (e) =>
        e.activityTaskStartedEventAttributes &&
        Number(e.activityTaskStartedEventAttributes.scheduledEventId) === Number(scheduled?.eventId) &&
        (e.activityTaskStartedEventAttributes.attempt ?? 1) > 1,
    );
    expect(restarted, `batch ${midBatch.activityId} retried`).to.have.length.greaterThan(0);

    const counts = result.search!.counts!;
    expect(counts.succeeded + counts.pruned + counts.failed).to.equal(trials);
    expect(counts.failed).to.equal(0);
    const table = await readTable(config, result.search!.trialTableRef!);
    expect(table.map((r) => r.index).sort((a, b) => a - b)).to.deep.equal(
      Array.from({ length: trials }, (_, i) => i),
    );

    for (const outcome of midBatch.progress.done) {
      const rows = table.filter((r) => r.trialId === outcome.trialId);
      expect(rows, outcome.trialId).to.have.length(1);
      if ('result' in outcome) {
        expect(rows[0].trainMs, `${outcome.trialId} not re-run`).to.equal(outcome.result.trainMs);
        expect(rows[0].metrics).to.deep.equal(outcome.result.metrics);
      }
    }

    const registry = new ModelRegistry(openBlobStore(config.artifactsUri, config.s3));
    const versions = await registry.listVersions('crash-model');
    expect(versions.map((v) => v.trialId).sort()).to.deep.equal(
      result
        .search!.leaderboard.slice(0, 2)
        .map((t) => t.trialId)
        .sort(),
    );

    // The same search without a crash proposes the same parameters for every trial.
    const clean: TrainingResult = await (
      await startTraining(client, config, input('clean-model'), 'clean-run')
    ).result();
    const cleanTable = await readTable(config, clean.search!.trialTableRef!);
    expect(paramsByIndex(table)).to.deep.equal(paramsByIndex(cleanTable));
    expect(clean.search!.counts).to.deep.equal(counts);
  });
});

function readTable(config: AppConfig, ref: string): Promise<TrialTableRow[]> {
  return readTrialTable(openBlobStore(config.artifactsUri, config.s3), ref);
}

function paramsByIndex(table: TrialTableRow[]): Record<number, string> {
  return Object.fromEntries(table.map((r) => [r.index, JSON.stringify(r.params)]));
}

/** A running runTrialBatch of the search whose last heartbeat (as the server has it) reports some but not all trials. */
async function batchMidway(
  search: WorkflowHandle,
): Promise<{ activityId: string; progress: TrialBatchProgress } | undefined> {
  const description = await search.describe().catch(() => undefined);
  for (const activity of description?.raw.pendingActivities ?? []) {
    if (activity.activityType?.name !== 'runTrialBatch') continue;
    const payload = activity.heartbeatDetails?.payloads?.[0];
    if (!payload) continue;
    const progress = defaultPayloadConverter.fromPayload<TrialBatchProgress>(payload);
    if (progress.done.length >= 1 && progress.done.length < 5) {
      return { activityId: activity.activityId!, progress };
    }
  }
  return undefined;
}
