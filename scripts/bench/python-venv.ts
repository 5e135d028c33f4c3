/**
 * The benchmarks' Python virtual environment (`.venv-bench/`, gitignored) with hyperopt, Optuna, XGBoost
 * and pandas, created on first use with the ordinary `python3 -m venv` and `pip install`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { progress } from './stats';

export const BENCH_PYTHON_PACKAGES = ['hyperopt', 'optuna', 'xgboost', 'pandas'];
const IMPORTS = 'import hyperopt, optuna, xgboost, pandas';

/** The venv's python with every package importable, or why not (no python3, no network, ...). */
export function ensureBenchVenv(projectRoot: string): { python: string } | { error: string } {
  const dir = path.join(projectRoot, '.venv-bench');
  const python = path.join(dir, 'bin', 'python');
  const importable = () => fs.existsSync(python) && spawnSync(python, ['-c', IMPORTS]).status === 0;
  if (importable()) return { python };
  const run = (command: string, args: string[]): string | undefined => {
    const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (result.status === 0) return undefined;
    const detail = (result.stderr ?? result.error?.message ?? '').trim().split('\n').pop();
    return `${command} ${args.join(' ')} failed: ${detail}`;
  };
  if (!fs.existsSync(python)) {
    progress(`creating ${dir}`);
    const failed = run('python3', ['-m', 'venv', dir]);
    if (failed) return { error: failed };
  }
  progress(`pip install ${BENCH_PYTHON_PACKAGES.join(' ')} into ${dir}`);
  const failed = run(python, ['-m', 'pip', 'install', '--quiet', ...BENCH_PYTHON_PACKAGES]);
  if (failed) return { error: failed };
  return importable() ? { python } : { error: `${IMPORTS} still fails in ${dir}` };
}

/** Runs scripts/bench/python_tuners.py with `args` and parses the JSON it prints. */
export function runPythonTuners<T>(projectRoot: string, python: string, args: string[]): T {
  const script = path.join(projectRoot, 'scripts', 'bench', 'python_tuners.py');
  const result = spawnSync(python, [script, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (result.status !== 0) throw new Error(`python_tuners.py ${args.join(' ')} exited with ${result.status}`);
  return JSON.parse(result.stdout) as T;
}
