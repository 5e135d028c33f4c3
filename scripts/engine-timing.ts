/**
 * Times one trial per engine on the same synthetic data: native (libxgboost via koffi), wasm (ml-xgboost) and
 * Python's xgboost (scripts/python-trial-timing.py, for every python3 with xgboost). Trials run in a one-thread
 * trial pool, as in production; engines are loaded by a warm-up trial first.
 *
 *   node dist/scripts/engine-timing.js [--rows 20000] [--cols 17] [--rounds 300] [--repeat 3] [--wasm-repeat 1]
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createTrialPool, shareTrialData } from '../src/engines/trial-pool';
import type { SharedTrialData, TrialPool } from '../src/engines/trial-pool';
import type { EngineName, XGBoostParams } from '../src/contracts/domain';
import { writeTrialMatrices } from './bench/matrix-files';
import { sliceRows, syntheticRegression } from '../test/support/synthetic-regression';

interface Timing {
  wallMs: number;
  trainMs: number;
  cpuMs: number;
  rmse: number;
}

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '20000' },
    'validation-rows': { type: 'string', default: '5000' },
    cols: { type: 'string', default: '17' },
    rounds: { type: 'string', default: '300' },
    repeat: { type: 'string', default: '3' },
    'wasm-repeat': { type: 'string', default: '1' },
    dir: { type: 'string', default: path.join(os.tmpdir(), 'engine-timing') },
  },
});
const rows = Number(values.rows);
const validationRows = Number(values['validation-rows']);
const cols = Number(values.cols);

const params: XGBoostParams = {
  n_estimators: Number(values.rounds),
  max_depth: 6,
  learning_rate: 0.1,
  gamma: 0,
  reg_alpha: 0,
  reg_lambda: 1,
  subsample: 1,
  colsample_bytree: 1,
  min_child_weight: 1,
  seed: 0,
};

async function time(
  pool: TrialPool,
  engine: EngineName,
  data: SharedTrialData,
  repeat: number,
): Promise<Timing[]> {
  await pool.runTrial({ engine, params: { ...params, n_estimators: 2 }, data }); // loads the engine
  const timings: Timing[] = [];
  for (let i = 0; i < repeat; i++) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const outcome = await pool.runTrial({ engine, params, data });
    const used = process.cpuUsage(cpu);
    timings.push({
      wallMs: performance.now() - started,
      trainMs: outcome.trainMs,
      cpuMs: (used.user + used.system) / 1000,
      rmse: outcome.metrics.rmse,
    });
  }
  return timings;
}

function pythonTimings(directory: string, repeat: number): unknown[] {
  const script = path.resolve(__dirname, '../../scripts/python-trial-timing.py');
  const results: unknown[] = [];
  const seen = new Set<string>();
  for (const python of ['/usr/bin/python3', 'python3']) {
    const result = spawnSync(python, [script, directory, '--repeat', String(repeat)], { encoding: 'utf8' });
    if (result.status !== 0) {
      console.error(`${python}: ${result.stderr.trim().split('\n').pop()}`);
      continue;
    }
    const report = JSON.parse(result.stdout) as { xgboostVersion: string };
    if (seen.has(report.xgboostVersion)) continue;
    seen.add(report.xgboostVersion);
    results.push({ python, ...report });
  }
  return results;
}

function summary(timings: Timing[]): string {
  return timings
    .map(
      (t) =>
        `train ${t.trainMs.toFixed(0)} ms (process cpu ${t.cpuMs.toFixed(0)} ms), trial wall ${t.wallMs.toFixed(0)} ms, rmse ${t.rmse.toFixed(3)}`,
    )
    .join(' | ');
}

async function main(): Promise<void> {
  const whole = syntheticRegression({ rows: rows + validationRows, cols, noise: 1, seed: 42 });
  const train = sliceRows(whole, 0, rows);
  const validation = sliceRows(whole, rows, rows + validationRows);
  const data = shareTrialData({
    train: train.x,
    trainLabels: train.y,
    validation: validation.x,
    validationLabels: validation.y,
  });
  writeTrialMatrices(values.dir, data, { params });
  console.log(
    `data: ${rows} x ${cols} train, ${validationRows} validation; ${params.n_estimators} rounds, depth 6, hist, nthread=1`,
  );
  console.log(
    `load average before: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );

  const pool = createTrialPool({ threads: 1, nthreadPerTrial: 1 });
  try {
    console.log(`native: ${summary(await time(pool, 'native', data, Number(values.repeat)))}`);
    console.log(`wasm:   ${summary(await time(pool, 'wasm', data, Number(values['wasm-repeat'])))}`);
  } finally {
    await pool.close();
  }
  for (const report of pythonTimings(values.dir, Number(values.repeat)))
    console.log(`python: ${JSON.stringify(report)}`);
  console.log(
    `load average after: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
