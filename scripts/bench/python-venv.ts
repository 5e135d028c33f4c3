/**
 * The benchmarks' Python virtual environment (`.venv-bench/`, gitignored) with the packages of
 * `scripts/bench/requirements.txt` (hyperopt, Optuna, XGBoost pinned to the native library's version,
 * pandas; Flask and gunicorn for the serving benchmark's anchor), created with the ordinary `python3 -m venv` and `pip install -r`. The benchmarks create it on
 * first use; `.ci/run` creates it up front by running this file:
 *
 *   node dist/scripts/bench/python-venv.js    prints the venv's python, or why it cannot be made (exit 1)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { progress } from './stats';

/** The one definition of what the venv holds, read here and nowhere else. */
export const REQUIREMENTS_FILE = path.join('scripts', 'bench', 'requirements.txt');
const IMPORTS = 'import hyperopt, optuna, xgboost, pandas, flask, gunicorn';
/** The requirements the venv was last installed from; a different file reinstalls. */
const STAMP = 'requirements.installed';

/** The venv's python with every requirement installed and importable, or why not (no python3, no network, ...). */
export function ensureBenchVenv(projectRoot: string): { python: string } | { error: string } {
  const dir = path.join(projectRoot, '.venv-bench');
  const python = path.join(dir, 'bin', 'python');
  const requirementsPath = path.join(projectRoot, REQUIREMENTS_FILE);
  const requirements = fs.readFileSync(requirementsPath, 'utf8');
  const stamp = path.join(dir, STAMP);
  const importable = () => fs.existsSync(python) && spawnSync(python, ['-c', IMPORTS]).status === 0;
  const installed = () => fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === requirements;
  if (installed() && importable()) return { python };
  const run = (command: string, args: string[]): string | undefined => {
    const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (result.status === 0) return undefined;
    const detail = (result.stderr || result.error?.message || `exit ${result.status}`).trim().split('\n');
    return `${command} ${args.join(' ')} failed: ${detail.slice(-3).join(' | ')}`;
  };
  if (!fs.existsSync(python)) {
    progress(`creating ${dir}`);
    const failed = run('python3', ['-m', 'venv', dir]);
    if (failed) return { error: `${failed} (on Debian/Ubuntu: apt-get install python3-venv)` };
  }
  progress(`pip install -r ${REQUIREMENTS_FILE} into ${dir}`);
  const failed = run(python, [
    '-m',
    'pip',
    'install',
    '--quiet',
    '--disable-pip-version-check',
    '-r',
    requirementsPath,
  ]);
  if (failed) return { error: failed };
  if (!importable()) return { error: `${IMPORTS} still fails in ${dir}` };
  fs.writeFileSync(stamp, requirements);
  return { python };
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

if (require.main === module) {
  const venv = ensureBenchVenv(path.resolve(__dirname, '../../..'));
  if ('error' in venv) {
    console.error(`bench venv: ${venv.error}`);
    process.exitCode = 1;
  } else console.log(venv.python);
}
