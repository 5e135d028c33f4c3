/**
 * A real MLflow tracking server for tests: `mlflow server` from the gitignored venv `.venv-mlflow/`
 * (created here with `python3 -m venv` + `pip install mlflow==<MLFLOW_VERSION>` when missing; `.ci/run`
 * creates it up front with `node dist/test/support/mlflow-server.js`), SQLite backend store and a local
 * artifact destination in a temporary directory, on a free loopback port. Not part of the product runtime:
 * the project talks to MLflow over REST only.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/common/free-port';

export const MLFLOW_VERSION = '3.17.2';
const ROOT = path.resolve(__dirname, '..', '..', '..');
const VENV = path.join(ROOT, '.venv-mlflow');
const STAMP = path.join(VENV, 'mlflow.installed');

export interface TestMlflow {
  /** e.g. http://127.0.0.1:41234 */
  uri: string;
  /** The venv's python (with mlflow and xgboost importable). */
  python: string;
  /** Where the server keeps artifacts. */
  dir: string;
  /** Stops the server (the data stays in `dir`); `start()` brings it back on the same port and store. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes its directory. */
  dispose(): Promise<void>;
}

/** The venv's python with mlflow installed, creating the venv on first use (about a minute). */
export function ensureMlflowVenv(): string {
  const python = path.join(VENV, 'bin', 'python');
  const importable = () =>
    fs.existsSync(python) && spawnSync(python, ['-c', 'import mlflow, xgboost']).status === 0;
  if (fs.existsSync(STAMP) && fs.readFileSync(STAMP, 'utf8') === MLFLOW_VERSION && importable())
    return python;
  const run = (command: string, args: string[]) => {
    const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (result.status !== 0) {
      const detail = (result.stderr || result.error?.message || `exit ${result.status}`).trim().split('\n');
      throw new Error(`${command} ${args.join(' ')} failed: ${detail.slice(-3).join(' | ')}`);
    }
  };
  if (!fs.existsSync(python)) run('python3', ['-m', 'venv', VENV]);
  // xgboost: the mlflow.xgboost flavour's loader needs it inside the venv.
  run(python, [
    '-m',
    'pip',
    'install',
    '--quiet',
    '--disable-pip-version-check',
    `mlflow==${MLFLOW_VERSION}`,
    'xgboost',
  ]);
  if (!importable()) throw new Error(`import mlflow, xgboost still fails in ${VENV}`);
  fs.writeFileSync(STAMP, MLFLOW_VERSION);
  return python;
}

export async function startMlflowForTests(): Promise<TestMlflow> {
  const python = ensureMlflowVenv();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlflow-test-'));
  const port = await freePort();
  const uri = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async () => {
    const log = fs.openSync(path.join(dir, 'server.log'), 'a');
    child = spawn(
      path.join(VENV, 'bin', 'mlflow'),
      [
        'server',
        '--backend-store-uri',
        `sqlite:///${path.join(dir, 'mlflow.db')}`,
        '--artifacts-destination',
        path.join(dir, 'artifacts'),
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--workers',
        '1',
      ],
      {
        stdio: ['ignore', log, log],
        detached: true,
        env: { ...process.env, MLFLOW_TRACKING_URI: '', MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false' },
      },
    );
    fs.closeSync(log);
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) break;
      try {
        if ((await fetch(`${uri}/health`, { signal: AbortSignal.timeout(2000) })).ok) return;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    const tail = fs.readFileSync(path.join(dir, 'server.log'), 'utf8').split('\n').slice(-15).join('\n');
    throw new Error(`mlflow server did not answer ${uri}/health:\n${tail}`);
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.pid === undefined) return;
    const exited = new Promise((r) => running.once('exit', r));
    // The server forks workers (uvicorn/gunicorn): end the whole process group it leads.
    process.kill(-running.pid, 'SIGTERM');
    const timer = setTimeout(() => running.pid && process.kill(-running.pid, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  await start();
  return {
    uri,
    python,
    dir,
    stop,
    start,
    dispose: async () => {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

if (require.main === module) {
  try {
    console.log(ensureMlflowVenv());
  } catch (err) {
    console.error(`mlflow venv: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
