/**
 * One trial with fixed parameters per engine on the prepared real matrices: native and wasm through a
 * one-thread trial pool (wasm only loads in worker threads), Python's xgboost through
 * scripts/python-trial-timing.py on the very same float32 matrices written to a temporary directory.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTrialPool, type SharedTrialData, type TrialPool } from '../../src/engines/trial-pool';
import type { EngineName, XGBoostParams } from '../../src/contracts/domain';
import { writeTrialMatrices } from './matrix-files';
import { median, progress, round } from './stats';

/** Deterministic (no row or column sampling), so every engine does the same work. */
export const FIXED_PARAMS: XGBoostParams = {
  n_estimators: 300,
  max_depth: 6,
  learning_rate: 0.1,
  gamma: 0,
  reg_alpha: 0,
  reg_lambda: 1,
  subsample: 1,
  colsample_bytree: 1,
};

export interface EngineTiming {
  /** Median over the runs of the engine's own training time (DMatrix creation + boosting). */
  trainMs: number;
  /** Median trial wall time through the pool (training + validation prediction + model save + messaging). */
  wallMs?: number;
  rmse: number;
  version: string;
  runs: { trainMs: number; wallMs?: number; rmse: number }[];
}

export interface PythonTiming extends EngineTiming {
  python: string;
}

async function timeEngine(
  pool: TrialPool,
  engine: EngineName,
  data: SharedTrialData,
  repeat: number,
): Promise<EngineTiming> {
  // Loads the engine in the pool thread, so the measured runs do not include it.
  await pool.runTrial({ engine, params: { ...FIXED_PARAMS, n_estimators: 2 }, earlyStoppingRounds: 0, data });
  const runs: EngineTiming['runs'] = [];
  let version = '';
  for (let i = 0; i < repeat; i++) {
    const started = performance.now();
    const outcome = await pool.runTrial({ engine, params: FIXED_PARAMS, earlyStoppingRounds: 0, data });
    const wallMs = performance.now() - started;
    version = outcome.engineVersion;
    runs.push({ trainMs: round(outcome.trainMs), wallMs: round(wallMs), rmse: outcome.metrics.rmse });
    progress(`  ${engine} run ${i + 1}/${repeat}: train ${outcome.trainMs.toFixed(0)} ms`);
  }
  return {
    trainMs: round(median(runs.map((r) => r.trainMs))),
    wallMs: round(median(runs.map((r) => r.wallMs ?? 0))),
    rmse: runs[0].rmse,
    version,
    runs,
  };
}

export async function timeNativeAndWasm(
  data: SharedTrialData,
  repeat: number,
  wasmRepeat: number,
): Promise<{ native: EngineTiming; wasm?: EngineTiming }> {
  const pool = createTrialPool({ threads: 1, nthreadPerTrial: 1 });
  try {
    progress(`trial: native, ${repeat} runs`);
    const native = await timeEngine(pool, 'native', data, repeat);
    if (wasmRepeat < 1) return { native };
    progress(`trial: wasm, ${wasmRepeat} runs`);
    const wasm = await timeEngine(pool, 'wasm', data, wasmRepeat);
    return { native, wasm };
  } finally {
    await pool.close();
  }
}

/** Writes the matrices in python-trial-timing.py's format and runs it; undefined (with a reason) when it fails. */
export function timePython(
  projectRoot: string,
  data: SharedTrialData,
  repeat: number,
  python = process.env.BENCH_PYTHON ?? '/usr/bin/python3',
): PythonTiming | { error: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-python-'));
  try {
    // The native trial below has no early stopping, so it does not evaluate every round: neither does Python.
    writeTrialMatrices(dir, data, { params: FIXED_PARAMS, evaluateEveryRound: false });
    progress(`trial: python (${python}), ${repeat} runs`);
    const script = path.join(projectRoot, 'scripts/python-trial-timing.py');
    const result = spawnSync(python, [script, dir, '--repeat', String(repeat), '--nthread', '1'], {
      encoding: 'utf8',
      timeout: 10 * 60_000,
    });
    if (result.status !== 0) {
      const why = result.error?.message ?? result.stderr.trim().split('\n').pop() ?? `exit ${result.status}`;
      return { error: `${python}: ${why}` };
    }
    const report = JSON.parse(result.stdout) as {
      xgboostVersion: string;
      runs: { trainMs: number; rmse: number }[];
    };
    const runs = report.runs.map((r) => ({ trainMs: round(r.trainMs), rmse: r.rmse }));
    return {
      python,
      trainMs: round(median(runs.map((r) => r.trainMs))),
      rmse: runs[0].rmse,
      version: report.xgboostVersion,
      runs,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
