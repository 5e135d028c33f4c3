import { ActivityCancellationDetails, ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { expect } from 'chai';
import type { DatasetCache } from '../../src/activities/dataset-cache';
import { runTrialWith, type TrialDeps } from '../../src/activities/trial';
import type { TrialPool } from '../../src/engines/trial-pool';
import type { BlobStore } from '../../src/storage/blob-store';
import type { RunTrialInput } from '../../src/contracts';

const INPUT: RunTrialInput = {
  datasetRef: 'datasets/h/data.bin',
  datasetHash: 'h',
  trialId: 'trial-004',
  params: {
    n_estimators: 50,
    max_depth: 4,
    learning_rate: 0.1,
    gamma: 0,
    reg_alpha: 0,
    reg_lambda: 1,
    subsample: 1,
    colsample_bytree: 1,
  },
  engine: 'native',
  earlyStoppingRounds: 0,
};

/** A trial that is still loading its data when the activity is cancelled; the load ends with the abort. */
const stalledDeps: TrialDeps = {
  artifacts: {} as BlobStore,
  pool: {} as TrialPool,
  datasets: {
    get: () =>
      new Promise((_, reject) => {
        const signal = Context.current().cancellationSignal;
        signal.addEventListener('abort', () => reject(new Error('load aborted')));
      }),
  } as unknown as DatasetCache,
};

async function cancelledTrial(details: ActivityCancellationDetails, attempt = 1): Promise<unknown> {
  const env = new MockActivityEnvironment({ attempt });
  const running = env.run(runTrialWith, stalledDeps, INPUT).then(
    () => expect.fail('the trial should not succeed'),
    (err: unknown) => err,
  );
  await new Promise((r) => setTimeout(r, 20));
  env.cancel('WORKER_SHUTDOWN', details);
  return running;
}

describe('a trial cut short by its worker’s shutdown (9)', () => {
  it('fails with the retryable WorkerShutdown type, not as a cancelled or failed trial, whatever the attempt', async () => {
    for (const attempt of [1, 5]) {
      const err = await cancelledTrial(new ActivityCancellationDetails({ workerShutdown: true }), attempt);
      expect(err, `attempt ${attempt}`).to.be.instanceOf(ApplicationFailure);
      expect((err as ApplicationFailure).type).to.equal('WorkerShutdown');
      expect((err as ApplicationFailure).nonRetryable).to.equal(false);
      expect((err as Error).message).to.contain('trial-004 interrupted: its worker shut down');
    }
  });

  it('a cancellation the workflow asked for stays a cancellation', async () => {
    const err = await cancelledTrial(new ActivityCancellationDetails({ cancelRequested: true }));
    expect(err).to.not.be.instanceOf(ApplicationFailure);
    expect((err as Error).name).to.equal('CancelledFailure');
  });
});
