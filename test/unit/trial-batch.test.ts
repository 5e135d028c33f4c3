import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { expect } from 'chai';
import { runTrialBatchWith, type TrialRunner } from '../../src/activities/trial-batch';
import type {
  RunTrialBatchInput,
  RunTrialBatchResult,
  TrialBatchProgress,
  TrialResult,
} from '../../src/contracts';

const BATCH: RunTrialBatchInput = {
  datasetRef: 'datasets/abc/data.bin',
  datasetHash: 'abc',
  engine: 'native',
  earlyStoppingRounds: 10,
  trials: Array.from({ length: 5 }, (_, i) => ({
    trialId: `trial-00${i}`,
    params: {
      max_depth: 3 + i,
      learning_rate: 0.1,
      n_estimators: 50,
      gamma: 0,
      reg_alpha: 0,
      reg_lambda: 1,
      subsample: 1,
      colsample_bytree: 1,
    },
  })),
};

function result(trialId: string, run: number): TrialResult {
  return {
    trialId,
    params: BATCH.trials[0].params,
    metrics: { rmse: 100 + Number(trialId.slice(-1)), mae: 50, r2: 0.5 },
    // Tells the runs apart: a re-run trial would come back with another value.
    trainMs: run,
    rounds: 50,
    engine: 'native',
    engineVersion: 'test',
  };
}

/** One attempt of the batch in a mock activity context: its heartbeats, and its result or failure. */
async function attempt(
  runOne: TrialRunner,
  info: { attempt: number; heartbeatDetails?: unknown },
): Promise<{ heartbeats: TrialBatchProgress[]; result?: RunTrialBatchResult; error?: ApplicationFailure }> {
  const env = new MockActivityEnvironment(info);
  const heartbeats: TrialBatchProgress[] = [];
  env.on('heartbeat', (d: TrialBatchProgress) => heartbeats.push(structuredClone(d)));
  try {
    return { heartbeats, result: await env.run(runTrialBatchWith, runOne, BATCH) };
  } catch (err) {
    return { heartbeats, error: err as ApplicationFailure };
  }
}

describe('runTrialBatch: several trials per activity, resumed from its heartbeats (patch trial-batches)', () => {
  it('a batch killed mid-batch resumes after the last heartbeat: every trial once, none re-run', async () => {
    const runs: string[] = [];
    let run = 0;
    // Attempt 1: the worker dies while trial 3 trains (the activity never returns; the server keeps the
    // last heartbeat it received).
    const dies = new Error('worker killed');
    const first = await attempt(
      async (input) => {
        runs.push(input.trialId);
        if (input.trialId === 'trial-003') throw dies;
        return result(input.trialId, ++run);
      },
      { attempt: 1 },
    );
    const lastHeartbeat = first.heartbeats.at(-1)!;
    expect(lastHeartbeat.done.map((o) => o.trialId)).to.deep.equal(['trial-000', 'trial-001', 'trial-002']);
    // Each finished trial was heartbeated as soon as it finished, with the ones before it.
    expect(first.heartbeats.filter((h) => !h.retrying).map((h) => h.done.length)).to.deep.equal([1, 2, 3]);

    // Attempt 2 (the retry on another worker) gets that heartbeat's details.
    const second = await attempt(
      async (input) => {
        runs.push(input.trialId);
        return result(input.trialId, ++run);
      },
      { attempt: 2, heartbeatDetails: lastHeartbeat },
    );
    expect(runs).to.deep.equal([
      'trial-000',
      'trial-001',
      'trial-002',
      'trial-003',
      // the retry: only what had not finished
      'trial-003',
      'trial-004',
    ]);
    const outcomes = second.result!.outcomes;
    expect(outcomes.map((o) => o.trialId)).to.deep.equal(BATCH.trials.map((t) => t.trialId));
    // The first three are the first attempt's results (runs 1–3), not new ones.
    expect(outcomes.map((o) => ('result' in o ? o.result.trainMs : -1))).to.deep.equal([1, 2, 3, 4, 5]);
  });

  it('a retryable failure carries the outcomes so far in its details, and counts the trial’s own attempts', async () => {
    let run = 0;
    const flaky: TrialRunner = async (input, trial) => {
      if (input.trialId === 'trial-001') {
        // As runTrialAs does: a plain failure is final from the trial's 3rd attempt on.
        if (trial.attempt >= 3) throw ApplicationFailure.nonRetryable('still broken', 'TrialFailed');
        throw new Error(`broken on attempt ${trial.attempt}`);
      }
      return result(input.trialId, ++run);
    };
    const one = await attempt(flaky, { attempt: 1 });
    expect(one.error).to.be.instanceOf(ApplicationFailure);
    expect(one.error!.nonRetryable).to.equal(false);
    expect(one.error!.message).to.equal('broken on attempt 1');
    const details = one.error!.details![0] as TrialBatchProgress;
    expect(details.done.map((o) => o.trialId)).to.deep.equal(['trial-000']);
    expect(details.retrying).to.deep.equal({ trialId: 'trial-001', failedAttempts: 1 });
    expect(one.heartbeats.at(-1)).to.deep.equal(details);

    const two = await attempt(flaky, { attempt: 2, heartbeatDetails: details });
    expect(two.error!.message).to.equal('broken on attempt 2');
    const details2 = two.error!.details![0] as TrialBatchProgress;
    // Final at the trial's 3rd attempt; the batch goes on with the other trials.
    const three = await attempt(flaky, { attempt: 3, heartbeatDetails: details2 });
    const outcomes = three.result!.outcomes;
    expect(outcomes.map((o) => ('result' in o ? 'ok' : o.errorType))).to.deep.equal([
      'ok',
      'TrialFailed',
      'ok',
      'ok',
      'ok',
    ]);
    expect(run, 'trial-000 ran once; 002–004 once each').to.equal(4);
  });

  it('a trial that fails for good is an outcome; a worker shutdown is not (its batch fails, to be resumed)', async () => {
    const bad = await attempt(
      async (input) => {
        if (input.trialId === 'trial-002')
          throw ApplicationFailure.nonRetryable('bad params', 'InvalidParams');
        return result(input.trialId, 1);
      },
      { attempt: 1 },
    );
    expect(bad.result!.outcomes[2]).to.deep.equal({
      trialId: 'trial-002',
      error: 'bad params',
      errorType: 'InvalidParams',
    });
    expect(bad.result!.outcomes.filter((o) => 'result' in o)).to.have.length(4);

    const shutdown = await attempt(
      async (input) => {
        if (input.trialId === 'trial-002')
          throw ApplicationFailure.create({
            message: 'interrupted',
            type: 'WorkerShutdown',
            nonRetryable: true,
          });
        return result(input.trialId, 1);
      },
      { attempt: 1 },
    );
    expect(shutdown.error!.type).to.equal('WorkerShutdown');
    expect((shutdown.error!.details![0] as TrialBatchProgress).done.map((o) => o.trialId)).to.deep.equal([
      'trial-000',
      'trial-001',
    ]);
  });

  it('ignores heartbeat details that are not a batch’s, and outcomes of trials outside the batch', async () => {
    const runs: string[] = [];
    const runner: TrialRunner = async (input) => (runs.push(input.trialId), result(input.trialId, 1));
    await attempt(runner, { attempt: 2, heartbeatDetails: { step: 'training' } });
    expect(runs).to.have.length(5);
    runs.length = 0;
    const stranger = { done: [{ trialId: 'trial-999', result: result('trial-999', 9) }] };
    const { result: r } = await attempt(runner, { attempt: 2, heartbeatDetails: stranger });
    expect(runs).to.have.length(5);
    expect(r!.outcomes.map((o) => o.trialId)).to.not.include('trial-999');
  });
});
