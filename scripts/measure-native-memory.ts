/**
 * Runs many small native trials in one process and prints the resident set size every 100 trials, to show that
 * native memory (DMatrix and Booster handles, prediction and model buffers) does not leak.
 *
 *   node --expose-gc dist/scripts/measure-native-memory.js [--trials 1000] [--mode pool|direct]
 *
 * pool:   trials go through a trial pool (all cores), as in production: train, predict, save, free.
 * direct: the engine runs in this thread; each trial also reloads its saved model and predicts with it.
 */
import { parseArgs } from 'node:util';
import type { Engine } from '../src/engines/engine';
import { loadNativeEngine } from '../src/engines/native-engine';
import { createTrialPool, shareTrialData } from '../src/engines/trial-pool';
import type { SharedTrialData, TrialTask } from '../src/engines/trial-pool';
import type { XGBoostParams } from '../src/contracts/domain';
import { sliceRows, syntheticRegression } from '../test/support/synthetic-regression';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '1000' },
    mode: { type: 'string', default: 'pool' },
    every: { type: 'string', default: '100' },
  },
});
const trials = Number(values.trials);
const every = Number(values.every);

function params(trial: number): XGBoostParams {
  return {
    n_estimators: 30 + (trial % 3) * 10,
    max_depth: 3 + (trial % 4),
    learning_rate: 0.2,
    gamma: 0,
    reg_alpha: 0,
    reg_lambda: 1,
    subsample: 0.9,
    colsample_bytree: 0.9,
    seed: trial,
  };
}

/** Every other trial uses early stopping, so the sliced-booster path is measured too. */
function task(trial: number, data: SharedTrialData): TrialTask {
  return { engine: 'native', params: params(trial), earlyStoppingRounds: trial % 2 === 0 ? 3 : 0, data };
}

const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

function report(done: number, samples: number[]): void {
  // With --expose-gc, collect first so that garbage awaiting collection is not mistaken for a leak.
  (globalThis as { gc?: () => void }).gc?.();
  const { rss, heapUsed, external } = process.memoryUsage();
  samples.push(rss);
  console.log(
    `trials ${String(done).padStart(5)}  rss ${mb(rss)} MiB  heap ${mb(heapUsed)} MiB  external ${mb(external)} MiB`,
  );
}

function directTrial(engine: Engine, trial: number, data: SharedTrialData): void {
  const { params: p, earlyStoppingRounds } = task(trial, data);
  const model = engine.train({ ...data, params: p, nthread: 1, earlyStoppingRounds });
  try {
    model.predict(data.validation);
    const reloaded = engine.load(model.save(), model.rounds);
    reloaded.predict(data.validation);
    reloaded.free();
  } finally {
    model.free();
  }
}

async function main(): Promise<void> {
  const whole = syntheticRegression({ rows: 2500, cols: 17, noise: 1, seed: 3 });
  const train = sliceRows(whole, 0, 2000);
  const validation = sliceRows(whole, 2000, 2500);
  const data = shareTrialData({
    train: train.x,
    trainLabels: train.y,
    validation: validation.x,
    validationLabels: validation.y,
  });
  const samples: number[] = [];
  const started = performance.now();
  console.log(`${trials} native trials (2000 x 17, 30-50 rounds), mode ${values.mode}`);

  if (values.mode === 'direct') {
    const engine = loadNativeEngine();
    report(0, samples);
    for (let trial = 1; trial <= trials; trial++) {
      directTrial(engine, trial, data);
      if (trial % every === 0) report(trial, samples);
    }
  } else {
    const pool = createTrialPool({});
    try {
      await pool.runTrial(task(0, data)); // threads up, engine loaded
      report(0, samples);
      let next = 1;
      let done = 0;
      const worker = async (): Promise<void> => {
        while (next <= trials) {
          await pool.runTrial(task(next++, data));
          if (++done % every === 0) report(done, samples);
        }
      };
      await Promise.all(Array.from({ length: pool.threads }, worker));
    } finally {
      await pool.close();
    }
  }
  const first = samples[1] ?? samples[0];
  const last = samples[samples.length - 1];
  console.log(
    `rss after ${every} trials ${mb(first)} MiB, after ${trials} ${mb(last)} MiB: ` +
      `${last >= first ? '+' : ''}${mb(last - first)} MiB in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
