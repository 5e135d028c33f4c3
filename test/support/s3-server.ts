import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants as fsConstants, promises as fs } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { S3Options } from '../../src/storage/s3-store';

/**
 * An S3 endpoint for tests, in order of preference:
 * 1. `S3_ENDPOINT` from the environment (CI runs moto or MinIO there);
 * 2. for `conditionalWrites`, a `moto_server` started here (shared by all callers in this process);
 * 3. otherwise an in-process s3rver.
 * s3rver silently ignores `If-None-Match: *` on PutObject (it overwrites), so it is never used when the
 * caller needs conditional writes.
 */
export interface TestS3 {
  endpoint: string;
  /** A fresh bucket, unique to this call. */
  bucket: string;
  backend: 'external' | 'moto' | 's3rver';
  /** Whether PutObject honours `If-None-Match: *`. */
  conditionalWrites: boolean;
  /** Options to pass to S3BlobStore / openBlobStore. */
  options: S3Options;
  /** `s3://<bucket>/<prefix>`. */
  uri(prefix?: string): string;
  stop(): Promise<void>;
}

export interface StartS3Input {
  /** Require a server that honours `If-None-Match: *`; throws if none is available. */
  conditionalWrites?: boolean;
}

const REGION = 'us-east-1';

function useTestCredentials(): void {
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
}

export async function startS3ForTests(input: StartS3Input = {}): Promise<TestS3> {
  useTestCredentials();
  const external = process.env.S3_ENDPOINT;
  if (external) return withFreshBucket(external, 'external', async () => {});
  if (input.conditionalWrites) {
    if (!onPath('moto_server')) {
      throw new Error(
        'S3 conditional writes (If-None-Match) are needed but s3rver ignores them: ' +
          'set S3_ENDPOINT to a moto/MinIO server or put moto_server on PATH',
      );
    }
    const endpoint = await acquireMoto();
    return withFreshBucket(endpoint, 'moto', releaseMoto);
  }
  return startS3rver();
}

function makeHandle(
  endpoint: string,
  bucket: string,
  backend: TestS3['backend'],
  stop: () => Promise<void>,
): TestS3 {
  return {
    endpoint,
    bucket,
    backend,
    conditionalWrites: backend !== 's3rver',
    options: { endpoint, forcePathStyle: true, region: REGION },
    uri: (prefix = '') => `s3://${bucket}${prefix ? `/${prefix}` : ''}`,
    stop,
  };
}

function uniqueBucketName(): string {
  return `traffic-test-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

function adminClient(endpoint: string): S3Client {
  return new S3Client({ endpoint, forcePathStyle: true, region: REGION });
}

async function withFreshBucket(
  endpoint: string,
  backend: TestS3['backend'],
  release: () => Promise<void>,
): Promise<TestS3> {
  const bucket = uniqueBucketName();
  const client = adminClient(endpoint);
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    client.destroy();
    await release();
    throw new Error(`cannot create test bucket ${bucket} at ${endpoint}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return makeHandle(endpoint, bucket, backend, async () => {
    try {
      // Best effort: an external server outlives the tests, so leave it as we found it.
      if (backend === 'external') await emptyAndDeleteBucket(client, bucket);
    } finally {
      client.destroy();
      await release();
    }
  });
}

async function emptyAndDeleteBucket(client: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    if (keys.length === 0) break;
    await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
  }
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
}

function onPath(command: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    try {
      accessSync(path.join(dir, command), fsConstants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A moto server of the caller's own, which the caller can pause (SIGSTOP) and resume: an outage without refusals. */
export interface PausableS3 extends TestS3 {
  pause(): void;
  resume(): void;
}

export async function startPausableS3(): Promise<PausableS3> {
  useTestCredentials();
  if (!onPath('moto_server')) {
    throw new Error('a pausable S3 server needs moto_server on PATH (pip install "moto[server]")');
  }
  const { child, url } = await spawnMoto();
  const handle = await withFreshBucket(url, 'moto', async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    await exited;
  });
  return { ...handle, pause: () => child.kill('SIGSTOP'), resume: () => child.kill('SIGCONT') };
}

// ---- moto: one child process per test process, reference counted ----

/** moto_server with its requests serialised, so `If-None-Match: *` is atomic as on S3 (see the script). */
const MOTO_SERVER = path.resolve(__dirname, '../../../test/support/moto-server.py');

interface MotoProcess {
  child: ChildProcess;
  url: string;
}

let moto: { ready: Promise<MotoProcess>; users: number } | undefined;

async function acquireMoto(): Promise<string> {
  moto ??= { ready: spawnMoto(), users: 0 };
  const current = moto;
  current.users++;
  try {
    return (await current.ready).url;
  } catch (err) {
    await releaseMoto();
    throw err;
  }
}

async function releaseMoto(): Promise<void> {
  const current = moto;
  if (!current || --current.users > 0) return;
  moto = undefined;
  let child: ChildProcess;
  try {
    ({ child } = await current.ready);
  } catch {
    return; // it never started
  }
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function spawnMoto(): Promise<MotoProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn('python3', [MOTO_SERVER, '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.once('error', (err) => {
    stderr += `\n${err.message}`;
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  // Never leave a server behind if mocha exits without running our after() hooks.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  await waitForHttp(url, child, () => stderr);
  return { child, url };
}

async function waitForHttp(url: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.pid === undefined) {
      throw new Error(`moto_server exited (code ${child.exitCode}): ${stderr()}`);
    }
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  child.kill('SIGKILL');
  throw new Error(`moto_server did not answer at ${url} within 30 s: ${stderr()}`);
}

// ---- s3rver: in-process, one per call ----

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;

async function startS3rver(): Promise<TestS3> {
  /* eslint-disable @typescript-eslint/no-require-imports -- s3rver ships no type declarations */
  const S3rver = require('s3rver') as S3rverConstructor;
  const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account') as {
    DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void };
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
  // s3rver only knows its own S3RVER key; teach it the credentials the SDK will sign with.
  DUMMY_ACCOUNT.createKeyPair(process.env.AWS_ACCESS_KEY_ID!, process.env.AWS_SECRET_ACCESS_KEY!);
  const directory = await fs.mkdtemp(path.join(tmpdir(), 's3rver-'));
  const bucket = uniqueBucketName();
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return makeHandle(endpoint, bucket, 's3rver', async () => {
    await server.close();
    await fs.rm(directory, { recursive: true, force: true });
  });
}
