import { Client, type WorkflowHandle } from '@temporalio/client';
import { expect } from 'chai';
import { startTraining } from '../../src/cli/training-run';
import { ModelRegistry } from '../../src/registry/model-registry';
import { openBlobStore } from '../../src/storage/from-uri';
import type { TrainingResult } from '../../src/contracts';
import { testConfig, trainingInput } from '../support/pipeline-harness';
import { startWorkerProcess, stopped, useDevServerAndWorkerProcesses } from '../support/worker-process';

const SLOT_WORK = ['oneYearAheadMember', 'refitMember'];

/**
 * The ensemble's refits and one-year-ahead trainings run on the trial queue after the search. A worker
 * killed in the middle of them: the work is retried on a new worker, and the registered model and its
 * interval calibration are the ones an undisturbed run of the same training gives (nothing lost or doubled).
 */
describe('work after the search survives a SIGKILLed worker process (real dev server, file storage, sample data)', function () {
  this.timeout(1_200_000);
  const servers = useDevServerAndWorkerProcesses();
  const { children } = servers;

  it('retries the interrupted refit or one-year-ahead training and registers the same model, once', async () => {
    const config = testConfig({});
    const env = servers.env();
    const client = env.client as unknown as Client;
    const input = (modelName: string) =>
      trainingInput(config, {
        modelName,
        trials: 8,
        top: 3,
        parallelism: 4,
        refit: true,
        ensemble: 3,
        seed: 11,
        strategy: { sampler: 'tpe', pruning: 'none', reproducible: true },
      });

    children.push(await startWorkerProcess(env, config));
    const worker = children[0];
    const crashed = await startTraining(client, config, input('after-crash-model'), 'after-crash-run');
    // Freeze the worker while the server has one of its slot activities started, and check that the server
    // still has it started once frozen (so it cannot have completed in between); then kill it.
    let interrupted: string | undefined;
    while (!interrupted) {
      const started = await startedSlotWork(crashed);
      if (started) {
        worker.kill('SIGSTOP');
        if ((await startedSlotWork(crashed)) === started) interrupted = started;
        else worker.kill('SIGCONT');
      } else {
        const { status } = await crashed.describe();
        if (status.name !== 'RUNNING')
          throw new Error('the training ended before its slot work could be interrupted');
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    worker.kill('SIGKILL');
    await stopped(worker);
    children.push(await startWorkerProcess(env, config));
    const result: TrainingResult = await crashed.result();

    const events = (await crashed.fetchHistory()).events ?? [];
    const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityId === interrupted);
    const retried = events.filter(
      (e) =>
        Number(e.activityTaskStartedEventAttributes?.scheduledEventId) === Number(scheduled?.eventId) &&
        (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1,
    );
    expect(retried, `activity ${interrupted} retried on the new worker`).to.have.length(1);

    const top3 = result.search!.leaderboard.slice(0, 3).map((t) => t.trialId);
    expect(result.finalModel?.members).to.deep.equal(top3);
    const registry = new ModelRegistry(openBlobStore(config.artifactsUri, config.s3));
    const versions = await registry.listVersions('after-crash-model');
    expect(versions, 'one version registered').to.have.length(1);

    // The same training without a crash: the same members, refits and calibration (all content-addressed).
    const clean: TrainingResult = await (
      await startTraining(client, config, input('after-clean-model'), 'after-clean-run')
    ).result();
    expect(clean.finalModel?.members).to.deep.equal(top3);
    expect(result.finalModel?.modelRef).to.equal(clean.finalModel?.modelRef);
    expect(result.finalModel?.intervalRef).to.be.a('string');
    expect(result.finalModel?.intervalRef).to.equal(clean.finalModel?.intervalRef);
    expect(result.finalModel?.metrics).to.deep.equal(clean.finalModel?.metrics);
  });
});

/** The activity id of a refit or one-year-ahead training the server has started and not seen complete. */
async function startedSlotWork(training: WorkflowHandle): Promise<string | undefined> {
  const description = await training.describe().catch(() => undefined);
  for (const activity of description?.raw.pendingActivities ?? []) {
    // PENDING_ACTIVITY_STATE_STARTED = 2
    if (SLOT_WORK.includes(activity.activityType?.name ?? '') && Number(activity.state) === 2) {
      return activity.activityId ?? undefined;
    }
  }
  return undefined;
}
