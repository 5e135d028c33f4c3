import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../../src/common/free-port';

/**
 * A throwaway PostgreSQL cluster for tests: Debian's postgresql binaries (initdb, postgres) in a temp
 * directory on a free port, as the `postgres` OS user when the tests run as root (postgres refuses root).
 * `MONITORING_TEST_DATABASE_URL` points the tests at an existing server instead.
 */
export interface TestPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/<database>`. */
  url: string;
  /** A fresh, empty database on the same server. */
  freshDatabase(): Promise<string>;
  stop(): Promise<void>;
}

const BIN = process.env.POSTGRES_BIN_DIR ?? '/usr/lib/postgresql/15/bin';

function asPostgresUser(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

async function waitForServer(url: string, server: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`postgres exited with ${server.exitCode}: ${log()}`);
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch (err) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline)
        throw new Error(`postgres not ready after 30 s: ${(err as Error).message}; ${log()}`, { cause: err });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

let databases = 0;

export async function startPostgresForTests(): Promise<TestPostgres> {
  const external = process.env.MONITORING_TEST_DATABASE_URL;
  const fresh = async (base: string) => {
    const name = `monitoring_test_${process.pid}_${++databases}_${Date.now() % 100000}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const u = new URL(base);
    u.pathname = `/${name}`;
    return u.toString();
  };
  if (external) return { url: external, freshDatabase: () => fresh(external), stop: async () => undefined };

  const dir = mkdtempSync(path.join(tmpdir(), 'pg-test-'));
  const data = path.join(dir, 'data');
  if (process.getuid?.() === 0) chownSync(dir, Number(uid('postgres')), Number(uid('postgres', '-g')));
  const [initCmd, initArgs] = asPostgresUser(path.join(BIN, 'initdb'), [
    '-D',
    data,
    '-A',
    'trust',
    '-U',
    'postgres',
    '--no-sync',
    '-E',
    'UTF8',
  ]);
  const init = spawnSync(initCmd, initArgs, { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  const port = await freePort();
  const [cmd, args] = asPostgresUser(path.join(BIN, 'postgres'), [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
  ]);
  const server = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  server.stdout?.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-4000)));
  server.stderr?.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-4000)));
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  try {
    await waitForServer(url, server, () => output);
  } catch (err) {
    server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url,
    freshDatabase: () => fresh(url),
    stop: async () => {
      if (server.exitCode === null) {
        const exited = new Promise((r) => server.once('exit', r));
        // SIGINT to the postmaster itself ("fast shutdown"): runuser does not pass signals on.
        const postmaster = Number(readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
        process.kill(postmaster, 'SIGINT');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
        if (server.exitCode === null) process.kill(postmaster, 'SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function uid(user: string, flag = '-u'): string {
  return spawnSync('id', [flag, user], { encoding: 'utf8' }).stdout.trim();
}
