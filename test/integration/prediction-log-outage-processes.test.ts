/**
 * The prediction log across a 2-minute store outage with the service as it runs by default on a machine of
 * several CPUs: `npm run serve` with two processes sharing the port, each with its own buffer and spill
 * directory, against a real S3 server (moto) paused with SIGSTOP.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { promises as fs, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SEED_EXAMPLE_ROWS } from '../../src/data/prediction-input';
import { predictionLogPrefix } from '../../src/monitoring/prediction-log-keys';
import type { BlobStore } from '../../src/storage/blob-store';
import { openBlobStore } from '../../src/storage/from-uri';
import { registerSampleChampion } from '../support/registered-models';
import { startPausableS3, type PausableS3 } from '../support/s3-server';
import { freePort } from '../support/temporal';

const REPO = path.resolve(__dirname, '../../..');
const MODEL = 'traffic-log-outage-processes';
const PROCESSES = 2;
const OUTAGE_MS = 120_000;
const BATCH_ROWS = 500;
const BUFFER_ROWS = 2000;
/** Resident memory allowed to each service process (a loaded model and the runtime take about 200 MB). */
const RSS_BOUND_BYTES = 450 * 1024 * 1024;

/** Sum of a metric's samples in a Prometheus text exposition (every label set). */
function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`).exec(line);
    if (match) sum += Number(match[1]);
  }
  return sum;
}

function childPids(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
}

function rssBytes(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return kb === undefined ? 0 : Number(kb) * 1024;
}

/** POST /predict on a connection of `agent`'s: the status and the request id (else the body). */
function postRows(agent: http.Agent, port: number, rows: unknown[]): Promise<{ status: number; id: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        agent,
        port,
        host: '127.0.0.1',
        path: '/predict',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
      },
      (response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, id: String(response.headers['x-request-id'] ?? body) }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(JSON.stringify(rows));
  });
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe('prediction log across a 2-minute store outage, two service processes (npm run serve, moto paused)', function () {
  this.timeout(15 * 60_000);
  let s3: PausableS3;
  let store: BlobStore;
  let spillDir: string;
  let child: ChildProcess | undefined;

  before(async () => {
    s3 = await startPausableS3();
    store = openBlobStore(s3.uri('outage-processes'), s3.options);
    spillDir = await fs.mkdtemp(path.join(tmpdir(), 'log-spill-processes-'));
    await registerSampleChampion(store, MODEL, 10);
  });
  after(async () => {
    s3?.resume();
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await s3?.stop();
    await fs.rm(spillDir, { recursive: true, force: true });
  });

  it('stores every served row exactly once, keeps each process under its bound, never fails a request', async () => {
    const port = await freePort();
    const service = spawn(
      process.execPath,
      [path.join(REPO, 'dist/src/prediction-service.js'), '--port', String(port)],
      {
        env: {
          ...process.env,
          ARTIFACTS_URI: s3.uri('outage-processes'),
          S3_ENDPOINT: s3.endpoint,
          AWS_REGION: 'us-east-1',
          // Writes to the paused server time out and are retried rather than hang.
          S3_REQUEST_TIMEOUT_MS: '2000',
          MODEL_NAME: MODEL,
          SERVE_PROCESSES: String(PROCESSES),
          PREDICTION_LOG_ROWS: String(BATCH_ROWS),
          PREDICTION_LOG_FLUSH_MS: '500',
          PREDICTION_LOG_BUFFER_ROWS: String(BUFFER_ROWS),
          PREDICTION_LOG_SPILL_DIR: spillDir,
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    child = service;
    let stderr = '';
    service.stderr?.on('data', (d) => (stderr += d));
    const deadline = Date.now() + 120_000;
    while ((stderr.match(/listening on/g) ?? []).length < PROCESSES) {
      if (Date.now() > deadline || service.exitCode !== null) throw new Error(`not listening: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(stderr, 'start-up lines').to.not.match(/unreachable|no champion/);
    const url = `http://127.0.0.1:${port}`;
    const metrics = async () => (await fetch(`${url}/metrics`)).text();

    const served = new Map<string, number>();
    let failures = 0;
    let stop = false;
    const rows = [...SEED_EXAMPLE_ROWS, ...SEED_EXAMPLE_ROWS, SEED_EXAMPLE_ROWS[0]]; // 5 rows
    const firstFailures: string[] = [];
    // Each client keeps one connection of its own (a new one per request would exhaust the ephemeral ports
    // in 2 minutes); the primary hands connections to the processes in turn, so both serve.
    const client = async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      while (!stop) {
        const answer = await postRows(agent, port, rows).catch((err: Error) => ({
          status: 0,
          id: err.message,
        }));
        if (answer.status === 200) served.set(answer.id, rows.length);
        else if (failures++ < 5) firstFailures.push(`${answer.status} ${answer.id}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      agent.destroy();
    };
    const workers = childPids(service.pid ?? 0);
    expect(workers, 'service processes').to.have.length(PROCESSES);
    let maxHeldRows = 0;
    let maxSpilled = 0;
    let maxRss = 0;
    const clients = Array.from({ length: 4 }, client);
    try {
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      s3.pause();
      const pausedAt = Date.now();
      while (Date.now() - pausedAt < OUTAGE_MS) {
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        const text = await metrics();
        maxHeldRows = Math.max(maxHeldRows, metricSum(text, 'prediction_log_memory_rows'));
        maxSpilled = Math.max(maxSpilled, (await filesUnder(spillDir)).length);
        for (const pid of workers) maxRss = Math.max(maxRss, rssBytes(pid));
      }
      s3.resume();
      await new Promise((resolve) => setTimeout(resolve, 5_000));
    } finally {
      stop = true;
      await Promise.all(clients);
    }
    // Every process ships what it held once the store is back (metrics are every process's, aggregated).
    const drained = Date.now() + 120_000;
    let text = await metrics();
    while (
      metricSum(text, 'prediction_log_memory_rows') > 0 ||
      metricSum(text, 'prediction_log_spilled_batches') > 0
    ) {
      if (Date.now() > drained) throw new Error(`the log did not drain:\n${text}`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      text = await metrics();
    }
    const servedRows = [...served.values()].reduce((a, b) => a + b, 0);
    expect(metricSum(text, 'prediction_rows_total'), 'rows predicted, all processes').to.equal(servedRows);
    const dropLines = stderr.split('\n').filter((line) => line.includes('rows dropped'));
    expect(
      metricSum(text, 'prediction_log_rows_dropped_total'),
      `rows dropped, first reasons:\n${dropLines.slice(0, 5).join('\n')}`,
    ).to.equal(0);
    service.kill('SIGTERM');
    const [code] = await once(service, 'exit');
    expect(code, stderr).to.equal(0);

    expect(failures, `requests answered with an error, first: ${firstFailures.join('; ')}`).to.equal(0);
    expect(maxSpilled, 'batches spilled to disk during the outage').to.be.greaterThan(0);
    expect(maxHeldRows, 'rows held in memory, all processes').to.be.at.most(
      PROCESSES * (BUFFER_ROWS + BATCH_ROWS),
    );
    expect(maxRss, 'largest resident memory of a service process during the outage').to.be.below(
      RSS_BOUND_BYTES,
    );
    expect(await filesUnder(spillDir), 'spill directory after shipping').to.deep.equal([]);

    const stored = new Map<string, number>();
    let storedRows = 0;
    const instances = new Set<string>();
    for (const { key } of await store.list(predictionLogPrefix(MODEL))) {
      instances.add(/-([0-9a-f]{8})-\d{6}\.jsonl$/.exec(key)?.[1] ?? key);
      for (const line of (await store.get(key)).toString('utf8').split('\n')) {
        if (!line) continue;
        const { requestId } = JSON.parse(line) as { requestId: string };
        stored.set(requestId, (stored.get(requestId) ?? 0) + 1);
        storedRows++;
      }
    }
    expect(instances.size, 'processes whose batches were stored').to.equal(PROCESSES);
    expect(servedRows).to.be.greaterThan(PROCESSES * BUFFER_ROWS * 2); // the outage outlasted the buffers
    expect(storedRows, `stored ${storedRows} rows for ${servedRows} served`).to.equal(servedRows);
    for (const [id, n] of served) expect(stored.get(id), `rows of request ${id}`).to.equal(n);
  });
});
