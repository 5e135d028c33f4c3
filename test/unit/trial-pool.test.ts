import { expect } from 'chai';
import { regressionMetrics } from '../../src/evaluation/metrics';
import { createTrialPool, shareTrialData } from '../../src/engines/trial-pool';
import type { SharedTrialData, TrialPool, TrialProgress } from '../../src/engines/trial-pool';
import type { XGBoostParams } from '../../src/contracts/domain';
import { sliceRows, syntheticRegression } from '../support/synthetic-regression';

const PARAMS: XGBoostParams = {
  n_estimators: 300,
  max_depth: 6,
  learning_rate: 0.1,
  gamma: 0,
  reg_alpha: 0,
  reg_lambda: 1,
  subsample: 0.8,
  colsample_bytree: 0.8,
  seed: 1,
};

function dataSet(rows: number, cols: number): SharedTrialData {
  const whole = syntheticRegression({ rows, cols, noise: 1, seed: 17 });
  const cut = Math.floor(rows * 0.8);
  const train = sliceRows(whole, 0, cut);
  const validation = sliceRows(whole, cut, rows);
  return { train: train.x, trainLabels: train.y, validation: validation.x, validationLabels: validation.y };
}

/** Largest gap between ticks of a 50 ms timer while `work` runs. */
async function maxTimerGap<T>(work: Promise<T>): Promise<{ result: T; maxGapMs: number }> {
  let last = performance.now();
  let maxGapMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
  }, 50);
  try {
    const result = await work;
    maxGapMs = Math.max(maxGapMs, performance.now() - last);
    return { result, maxGapMs };
  } finally {
    clearInterval(timer);
  }
}

describe('trial pool', function () {
  let pool: TrialPool;
  const data = shareTrialData(dataSet(6_000, 17));

  before(function () {
    pool = createTrialPool({ threads: 2 });
  });

  after(async function () {
    await pool.close();
  });

  it('never uses more threads than cores', async function () {
    const small = createTrialPool({ threads: 8, nthreadPerTrial: 2, cores: 2 });
    try {
      expect([small.threads, small.nthreadPerTrial]).to.deep.equal([1, 2]);
    } finally {
      await small.close();
    }
    const defaults = createTrialPool({ cores: 2 });
    try {
      expect([defaults.threads, defaults.nthreadPerTrial]).to.deep.equal([2, 1]);
    } finally {
      await defaults.close();
    }
  });

  it('copies plain arrays into shared memory once, and leaves shared ones alone', function () {
    const plain = dataSet(100, 3);
    const shared = shareTrialData(plain);
    expect(shared.train.data.buffer).to.be.instanceOf(SharedArrayBuffer);
    expect(shared.validationLabels.buffer).to.be.instanceOf(SharedArrayBuffer);
    expect(Array.from(shared.train.data)).to.deep.equal(Array.from(plain.train.data));
    const again = shareTrialData(shared);
    expect(again.train.data).to.equal(shared.train.data);
    expect(again.trainLabels).to.equal(shared.trainLabels);
  });

  it('runs two trials at once on shared data, reports progress, and keeps the event loop free', async function () {
    const progress: TrialProgress[][] = [[], []];
    const started = performance.now();
    const { result, maxGapMs } = await maxTimerGap(
      Promise.all(
        [0, 1].map((i) =>
          pool.runTrial(
            { engine: 'native', params: { ...PARAMS, seed: i }, data },
            { onProgress: (p) => progress[i].push(p) },
          ),
        ),
      ),
    );
    const wallMs = performance.now() - started;
    for (const [i, outcome] of result.entries()) {
      expect(outcome.engine).to.equal('native');
      expect(outcome.engineVersion).to.match(/^\d+\.\d+\.\d+$/);
      expect(outcome.rounds).to.equal(PARAMS.n_estimators);
      expect(outcome.bestIteration).to.equal(undefined);
      expect(outcome.metrics.r2).to.be.greaterThan(0.9);
      expect(outcome.metrics.rmse).to.be.greaterThan(0);
      expect(outcome.metrics.mae).to.be.within(0, outcome.metrics.rmse);
      expect(outcome.model).to.be.instanceOf(Uint8Array);
      expect(JSON.parse(Buffer.from(outcome.model!).toString('utf8'))).to.have.property('learner');
      expect(progress[i].length, `progress events of trial ${i}`).to.be.greaterThan(0);
      expect(progress[i][progress[i].length - 1]).to.include({ round: 300, totalRounds: 300 });
    }
    // Two threads: the pair takes clearly less than twice the slower trial's training time.
    expect(wallMs).to.be.lessThan(1.8 * Math.max(...result.map((o) => o.trainMs)) + 500);
    expect(maxGapMs).to.be.lessThan(1000);
  });

  it('predicts with a saved model in a pool thread, as the trial scored it', async function () {
    for (const engine of ['native', 'wasm'] as const) {
      const small = shareTrialData(dataSet(1500, 5));
      const outcome = await pool.runTrial({ engine, params: { ...PARAMS, n_estimators: 20 }, data: small });
      const predictions = await pool.predict({ engine, model: outcome.model!, x: small.validation });
      expect(predictions).to.have.length(small.validation.rows);
      expect(regressionMetrics(small.validationLabels, predictions).rmse, engine).to.equal(
        outcome.metrics.rmse,
      );
    }
  });

  it('evaluates every round only when early stopping or pruning watches it; returns the predictions when asked', async function () {
    const small = shareTrialData(dataSet(1500, 5));
    const params = { ...PARAMS, n_estimators: 40 };
    const seen: TrialProgress[][] = [[], []];
    // A rung at the last round watches the curve but never stops a trial (see RungTracker).
    const [fixed, watched] = await Promise.all(
      [undefined, { rounds: [40], cutoffs: [null] }].map((pruning, i) =>
        pool.runTrial(
          {
            engine: 'native',
            params,
            earlyStoppingRounds: 0,
            ...(pruning ? { pruning } : {}),
            data: small,
            returnPredictions: i === 0,
          },
          { onProgress: (p) => seen[i].push(p) },
        ),
      ),
    );
    expect(seen[0].length).to.be.greaterThan(0);
    expect(seen[0].every((p) => p.validationRmse === undefined)).to.equal(true);
    expect(seen[1].every((p) => p.validationRmse !== undefined)).to.equal(true);
    // The same trees either way.
    expect(fixed.rounds).to.equal(40);
    expect(watched.rounds).to.equal(40);
    expect(fixed.metrics).to.deep.equal(watched.metrics);
    expect(watched.predictions).to.equal(undefined);
    const fromSaved = await pool.predict({ engine: 'native', model: fixed.model!, x: small.validation });
    expect(Array.from(fixed.predictions!)).to.deep.equal(Array.from(fromSaved));
  });

  it('with score: false trains and keeps the same model without predicting the validation rows', async function () {
    const small = shareTrialData(dataSet(1500, 5));
    const params = { ...PARAMS, n_estimators: 40 };
    const fixed = { engine: 'native' as const, params, earlyStoppingRounds: 0 };
    const scored = await pool.runTrial({ ...fixed, data: small });
    // Validation rows no model of 5 columns can predict: only a task that predicts them fails.
    const unreadable: SharedTrialData = {
      ...small,
      validation: { data: small.validation.data.subarray(0, 30), rows: 10, cols: 3 },
      validationLabels: small.validationLabels.subarray(0, 10),
    };
    const unscored = await pool.runTrial({ ...fixed, data: unreadable, score: false });
    expect(unscored).to.not.have.property('metrics');
    expect(unscored).to.not.have.property('predictions');
    expect(unscored.rounds).to.equal(40);
    expect(Buffer.from(unscored.model!).equals(Buffer.from(scored.model!))).to.equal(true);
    let failure: unknown;
    try {
      await pool.runTrial({ ...fixed, data: unreadable });
    } catch (err) {
      failure = err;
    }
    expect(failure, 'a scored task predicts the validation rows').to.be.instanceOf(Error);
  });

  it('stops early and returns the best iteration', async function () {
    const outcome = await pool.runTrial({
      engine: 'native',
      params: { ...PARAMS, n_estimators: 5000, learning_rate: 0.5 },
      earlyStoppingRounds: 5,
      data,
    });
    expect(outcome.rounds).to.be.lessThan(5000);
    expect(outcome.bestIteration).to.equal(outcome.rounds - 1);
  });

  it('prunes at an ASHA rung: a result with the rounds reached, its rung scores and the model so far', async function () {
    const free = await pool.runTrial({
      engine: 'native',
      params: PARAMS,
      data,
      pruning: { rounds: [10, 30, 90], cutoffs: [null, null, null] },
    });
    expect(free).to.include({ pruned: false, roundsTrained: 300 });
    expect(free.rungScores).to.have.length(3);
    // A cut-off at rung 30 that this trial cannot meet.
    const pruned = await pool.runTrial({
      engine: 'native',
      params: PARAMS,
      data,
      pruning: { rounds: [10, 30, 90], cutoffs: [null, free.rungScores[1] / 2, null] },
    });
    expect(pruned).to.include({ pruned: true, roundsTrained: 30, rounds: 30 });
    expect(pruned.rungScores).to.deep.equal(free.rungScores.slice(0, 2));
    expect(pruned.model).to.be.instanceOf(Uint8Array);
    expect(pruned.metrics.rmse).to.be.closeTo(free.rungScores[1], 1e-3 * free.rungScores[1]);
  });

  it('saves the model only when its RMSE is within the bound it was given', async function () {
    const params = { ...PARAMS, n_estimators: 20 };
    const kept = await pool.runTrial({ engine: 'native', params, data, saveModelIfRmseAtMost: 1e9 });
    expect(kept.model).to.be.instanceOf(Uint8Array);
    const dropped = await pool.runTrial({ engine: 'native', params, data, saveModelIfRmseAtMost: 1e-9 });
    expect(dropped.model).to.equal(undefined);
    expect(dropped.metrics.rmse).to.equal(kept.metrics.rmse);
  });

  it('aborts a running trial promptly and stays usable', async function () {
    const controller = new AbortController();
    const started = performance.now();
    let abortedAt = 0;
    const running = pool.runTrial(
      { engine: 'native', params: { ...PARAMS, n_estimators: 100_000 }, data },
      {
        signal: controller.signal,
        onProgress: () => {
          if (!controller.signal.aborted) {
            abortedAt = performance.now();
            controller.abort(new Error('stop this trial'));
          }
        },
      },
    );
    let error: Error | undefined;
    try {
      await running;
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message).to.equal('stop this trial');
    expect(abortedAt).to.be.greaterThan(started);
    // Well under the 2 s grace period: the thread stopped by itself (freeing native memory), not by termination.
    expect(performance.now() - abortedAt).to.be.lessThan(1000);

    const after = await pool.runTrial({ engine: 'native', params: { ...PARAMS, n_estimators: 20 }, data });
    expect(after.rounds).to.equal(20);
  });

  it('rejects at once when the signal is already aborted', async function () {
    const controller = new AbortController();
    controller.abort(new Error('too late'));
    let error: Error | undefined;
    try {
      await pool.runTrial({ engine: 'native', params: PARAMS, data }, { signal: controller.signal });
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message).to.equal('too late');
  });

  it('reports errors from the thread', async function () {
    let error: Error | undefined;
    try {
      await pool.runTrial({ engine: 'native', params: { ...PARAMS, subsample: 2 }, data });
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message).to.match(/subsample/);
  });

  it('runs wasm trials in its threads without touching the main process', async function () {
    const listeners = process.listenerCount('uncaughtException');
    const small = shareTrialData(dataSet(1500, 5));
    const outcome = await pool.runTrial({
      engine: 'wasm',
      params: { ...PARAMS, n_estimators: 30 },
      data: small,
    });
    expect(outcome.engine).to.equal('wasm');
    expect(outcome.rounds).to.equal(30);
    expect(outcome.metrics.r2).to.be.greaterThan(0.5);
    expect(process.listenerCount('uncaughtException')).to.equal(listeners);
  });

  it('forces a wasm trial to stop after the grace period', async function () {
    const controller = new AbortController();
    const big = shareTrialData(dataSet(20_000, 17));
    const running = pool.runTrial(
      { engine: 'wasm', params: { ...PARAMS, n_estimators: 2000 }, data: big },
      {
        signal: controller.signal,
      },
    );
    setTimeout(() => controller.abort(new Error('stop wasm')), 300);
    const started = performance.now();
    let error: Error | undefined;
    try {
      await running;
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message).to.equal('stop wasm');
    expect(performance.now() - started).to.be.lessThan(4000);
    const after = await pool.runTrial({ engine: 'native', params: { ...PARAMS, n_estimators: 10 }, data });
    expect(after.rounds).to.equal(10);
  });
});
