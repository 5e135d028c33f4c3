/**
 * A Temporal dev server (`temporal server start-dev`, in-memory) owned by the benchmark. Started as our own
 * child process rather than through TestWorkflowEnvironment so that its banner cannot reach our stdout
 * (`--json` promises nothing but JSON there), and so that its pid is known for CPU accounting and cleanup.
 */
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { Client, Connection } from '@temporalio/client';
import { registerSearchAttributes, temporalAnswers } from '../../src/runtime/dev-server';
import { findTemporalCli } from '../../src/runtime/temporal-binary';
import { freePort } from '../../test/support/temporal';
import { onCleanup, trackChild } from './cleanup';
import { progress } from './stats';

export interface BenchServer {
  address: string;
  pid: number;
  client: Client;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;

export async function startDevServer(): Promise<BenchServer> {
  progress('starting a Temporal dev server');
  const cli = findTemporalCli();
  if (!cli) throw new Error('the `temporal` CLI is not on PATH (or $TEMPORAL_CLI); it runs the dev server');
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const child = spawn(
    cli,
    [
      'server',
      'start-dev',
      '--headless',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--log-level',
      'error',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  trackChild(child);
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream }).on('line', (line) => {
      if (line.trim() !== '') process.stderr.write(`[temporal] ${line}\n`);
    });
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let connection: Connection | undefined;
  const stop = async (): Promise<void> => {
    await connection?.close().catch(() => undefined);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(kill);
    }
  };
  const unregister = onCleanup('Temporal dev server', stop);
  try {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(await temporalAnswers({ temporalAddress: address, namespace: 'default' }))) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`the dev server exited (${child.exitCode ?? child.signalCode}) while starting`);
      if (Date.now() > deadline) throw new Error(`the dev server did not answer at ${address} in time`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await registerSearchAttributes({ temporalAddress: address, namespace: 'default' });
    connection = await Connection.connect({ address });
    const client = new Client({ connection, namespace: 'default' });
    return { address, pid: child.pid as number, client, stop: unregister };
  } catch (err) {
    await unregister();
    throw err;
  }
}
