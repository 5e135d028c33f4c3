import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { devServerEnv } from './temporal';
import type { AppConfig } from '../../src/config';
import { workerProcessEnv } from './pipeline-harness';

const WORKER = path.resolve(__dirname, '../../src/worker.js');

/** A worker process this test started, with everything it printed so far. */
export interface WorkerProcess {
  child: ChildProcess;
  /** stdout and stderr as they came (the last 200 kB). */
  output(): string;
  /** Resolves with the exit code when the process ends. */
  exited: Promise<number | null>;
}

/**
 * The one way tests start a real worker process, as an operator runs one: `node dist/src/worker.js` with
 * these flags and this environment.
 */
export function spawnWorkerProcess(opts: { env: NodeJS.ProcessEnv; args: string[] }): WorkerProcess {
  const child = spawn(process.execPath, [WORKER, ...opts.args], {
    env: opts.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const record = (d: Buffer) => (output = (output + d.toString()).slice(-200_000));
  child.stdout!.on('data', record);
  child.stderr!.on('data', record);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/**
 * A worker process for the dev server `env` and the queues and stores of `config`, resolved once it polls.
 * `extraEnv` adds settings such as `S3_ENDPOINT`; `args` are its command-line flags (e.g. `--queues trials --threads 1`).
 */
export function startWorkerProcess(
  env: TestWorkflowEnvironment,
  config: AppConfig,
  extraEnv: NodeJS.ProcessEnv = {},
  args: readonly string[] = ['--threads', '2'],
): Promise<ChildProcess> {
  const worker = spawnWorkerProcess({
    env: { ...workerProcessEnv(env, config), ...extraEnv },
    args: [...args],
  });
  return new Promise((resolve, reject) => {
    // The worker logs its status lines (diagnostics) on stderr.
    const ready = (d: Buffer) => {
      if (d.toString().includes('worker: running')) resolve(worker.child);
    };
    worker.child.stderr!.on('data', ready);
    worker.child.stdout!.on('data', ready);
    void worker.exited.then((code) =>
      reject(new Error(`worker exited with ${code} before polling: ${worker.output().slice(-20_000)}`)),
    );
  });
}

export function stopped(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
  });
}

/**
 * For a describe block: a dev server started before its tests, and the worker processes they push to
 * `children`, SIGKILLed after them.
 */
export function useDevServerAndWorkerProcesses(): {
  env(): TestWorkflowEnvironment;
  children: ChildProcess[];
} {
  let env: TestWorkflowEnvironment | undefined;
  const children: ChildProcess[] = [];
  before(async () => {
    env = await devServerEnv();
  });
  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await Promise.all(children.map(stopped));
    await env?.teardown();
  });
  return {
    env: () => {
      if (!env) throw new Error('the dev server has not started');
      return env;
    },
    children,
  };
}
