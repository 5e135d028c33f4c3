import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { AppConfig } from '../../src/config';
import { workerProcessEnv } from './pipeline-harness';

const WORKER = path.resolve(__dirname, '../../src/worker.js');

/**
 * A real worker process, as an operator runs one: `node dist/src/worker.js`, resolved once it polls. `extraEnv`
 * adds settings such as `S3_ENDPOINT`; `args` are its command-line flags (e.g. `--queues trials --threads 1`).
 */
export function startWorkerProcess(
  env: TestWorkflowEnvironment,
  config: AppConfig,
  extraEnv: NodeJS.ProcessEnv = {},
  args: readonly string[] = ['--threads', '2'],
): Promise<ChildProcess> {
  const child = spawn(process.execPath, [WORKER, ...args], {
    env: { ...workerProcessEnv(env, config), ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  return new Promise((resolve, reject) => {
    // The worker logs its status lines (diagnostics) on stderr.
    const ready = (d: Buffer) => {
      if (d.toString().includes('worker: running')) resolve(child);
    };
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-20_000);
      ready(d);
    });
    child.stdout!.on('data', ready);
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before polling: ${stderr}`)));
  });
}

export function stopped(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
  });
}
