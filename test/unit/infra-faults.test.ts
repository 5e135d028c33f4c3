import { ApplicationFailure } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { expect } from 'chai';
import { isTransientStoreError } from '../../src/storage/transient-errors';
import { assertFailureBudget } from '../../src/workflows/failure-budget';
import { trialRetryPolicy } from '../../src/workflows/trial-retry';
import type { TrialFailure } from '../../src/contracts';

const PARAMS = {
  n_estimators: 100,
  max_depth: 3,
  learning_rate: 0.1,
  gamma: 0.1,
  reg_alpha: 0.1,
  reg_lambda: 1,
  subsample: 1,
  colsample_bytree: 1,
};

function failures(n: number, error = (i: number) => `trial-${i}: boom`): TrialFailure[] {
  return Array.from({ length: n }, (_, i) => ({ trialId: `trial-${i}`, params: PARAMS, error: error(i) }));
}

describe('infrastructure faults', () => {
  it('classifies unreachable, throttled and timed-out stores as transient, and nothing else', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    expect(isTransientStoreError(refused)).to.equal(true);
    expect(isTransientStoreError(new Error('S3 PutObject failed', { cause: refused }))).to.equal(true);
    const slowDown = Object.assign(new Error('Please reduce your request rate'), { name: 'SlowDown' });
    expect(isTransientStoreError(slowDown)).to.equal(true);
    const unavailable = Object.assign(new Error('x'), { $metadata: { httpStatusCode: 503 } });
    expect(isTransientStoreError(unavailable)).to.equal(true);
    expect(isTransientStoreError(Object.assign(new Error('t'), { name: 'TimeoutError' }))).to.equal(true);

    const denied = Object.assign(new Error('Access Denied'), {
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    expect(isTransientStoreError(denied)).to.equal(false);
    expect(isTransientStoreError(new Error('invalid prepared data set: bad magic'))).to.equal(false);
    expect(isTransientStoreError('ECONNREFUSED')).to.equal(false);
  });

  it('retries a trial with backoff whose waits cover the whole window', () => {
    for (const windowMs of [30_000, 30 * 60_000, 2 * 3600_000]) {
      const policy = trialRetryPolicy(windowMs);
      let waited = 0;
      let interval = msToNumber(policy.initialInterval!);
      for (let retry = 1; retry < policy.maximumAttempts!; retry++) {
        waited += Math.min(interval, msToNumber(policy.maximumInterval!));
        interval *= policy.backoffCoefficient!;
      }
      expect(waited, `window ${windowMs}`).to.be.at.least(windowMs);
      expect(waited - msToNumber(policy.maximumInterval!), `window ${windowMs}`).to.be.below(windowMs);
    }
    expect(trialRetryPolicy(30 * 60_000).nonRetryableErrorTypes).to.include.members([
      'DatasetError',
      'InvalidParams',
      'TrialFailed',
    ]);
    expect(trialRetryPolicy(30 * 60_000).nonRetryableErrorTypes).to.not.include('InfrastructureFault');
  });

  it('lets a search with at most the allowed share of failed trials through', () => {
    expect(() => assertFailureBudget(40, 4, failures(4), 0.1)).to.not.throw();
    expect(() => assertFailureBudget(40, 0, [], 0)).to.not.throw();
  });

  it('fails a search with more failed trials than allowed, with the reasons and their counts', () => {
    const mixed = failures(21, (i) => (i < 15 ? `trial-${i}: store unreachable` : `trial-${i}: bad params`));
    let thrown: unknown;
    try {
      assertFailureBudget(40, mixed.length, mixed, 0.1);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).to.be.instanceOf(ApplicationFailure);
    const failure = thrown as ApplicationFailure;
    expect(failure.type).to.equal('TooManyTrialsFailed');
    expect(failure.nonRetryable).to.equal(true);
    expect(failure.message).to.equal(
      '21 of 40 trials failed (52.5 % > 10 % allowed): 15× store unreachable; 6× bad params',
    );
    expect(() => assertFailureBudget(40, 5, failures(5), 0.1)).to.throw('5 of 40 trials failed');
    // The result keeps only the first failures; the count, not the list, decides.
    expect(() => assertFailureBudget(400, 41, failures(20), 0.1)).to.throw('41 of 400 trials failed');
    const perModel = failures(
      5,
      (i) => `trial-${i}: storing models/${String(i).repeat(64)}.json: ECONNREFUSED`,
    );
    expect(() => assertFailureBudget(40, perModel.length, perModel, 0.1)).to.throw(
      '5 of 40 trials failed (12.5 % > 10 % allowed): 5× storing models/….json: ECONNREFUSED',
    );
  });
});
