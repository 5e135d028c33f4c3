import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SEED_EXAMPLE_ROWS } from '../../src/data/prediction-input';
import { predictionLogPrefix } from '../../src/monitoring/prediction-log-keys';
import { startService, type RunningService } from '../../src/serve/service';
import type { BlobStore } from '../../src/storage/blob-store';
import { openBlobStore } from '../../src/storage/from-uri';
import { registerSampleChampion } from '../support/registered-models';
import { startPausableS3, type PausableS3 } from '../support/s3-server';

const MODEL = 'traffic-log-outage';
const OUTAGE_MS = 120_000;
const BATCH_ROWS = 1000;
const BUFFER_ROWS = 5000;

describe('prediction log across a 2-minute store outage (moto paused with SIGSTOP)', function () {
  this.timeout(15 * 60_000);
  let s3: PausableS3;
  let store: BlobStore;
  let spillDir: string;
  let service: RunningService | undefined;

  before(async () => {
    s3 = await startPausableS3();
    // Short request timeouts, so writes to the paused server fail and are retried rather than hang.
    store = openBlobStore(s3.uri('outage'), { ...s3.options, requestTimeoutMs: 2_000 });
    spillDir = await fs.mkdtemp(path.join(tmpdir(), 'log-spill-'));
    await registerSampleChampion(store, MODEL, 10);
  });
  after(async () => {
    s3?.resume();
    await service?.close();
    await s3?.stop();
    await fs.rm(spillDir, { recursive: true, force: true });
  });

  it('stores every served row exactly once, keeps memory under its bound, never fails a request', async () => {
    const dropped: number[] = [];
    service = await startService(
      {
        host: '127.0.0.1',
        port: 0,
        modelName: MODEL,
        bodyLimit: 1024 * 1024,
        pollMs: 1000,
        predictionLog: true,
        logFlushRows: BATCH_ROWS,
        logFlushMs: 500,
        logLevel: 'silent',
        logBufferRows: BUFFER_ROWS,
        logSpillDir: spillDir,
      },
      store,
      pino({ level: 'silent' }),
      { onPredictionLogDropped: (d) => dropped.push(d.rows) },
    );
    const { url } = service;
    const log = service.predictionLog;
    if (!log) throw new Error('the prediction log is off');
    expect((await fetch(`${url}/models`)).status).to.equal(200); // a snapshot to answer from later

    const served = new Map<string, number>();
    let failures = 0;
    let stop = false;
    let maxMemoryRows = 0;
    let maxSpilled = 0;
    // Retained heap, after a full collection: what the service holds, not garbage not yet collected.
    setFlagsFromString('--expose_gc');
    const gc = runInNewContext('gc') as () => void;
    const retainedHeap = (): number => {
      gc();
      return process.memoryUsage().heapUsed;
    };
    const heapBefore = retainedHeap();
    let maxHeap = heapBefore;
    const rows = [...SEED_EXAMPLE_ROWS, ...SEED_EXAMPLE_ROWS, SEED_EXAMPLE_ROWS[0]]; // 5 rows
    const client = async () => {
      while (!stop) {
        const response = await fetch(`${url}/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(rows),
        });
        await response.arrayBuffer();
        if (response.status === 200) served.set(response.headers.get('x-request-id') ?? '?', rows.length);
        else failures++;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    const sampler = setInterval(() => {
      maxMemoryRows = Math.max(maxMemoryRows, log.memoryRows);
    }, 50);
    const clients = Array.from({ length: 4 }, client);
    try {
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      s3.pause();
      const pausedAt = Date.now();
      let modelsMs = 0;
      while (Date.now() - pausedAt < OUTAGE_MS) {
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        const t0 = performance.now();
        const models = await fetch(`${url}/models`);
        modelsMs = Math.max(modelsMs, performance.now() - t0);
        expect(models.status).to.equal(200);
        maxSpilled = Math.max(maxSpilled, (await fs.readdir(spillDir)).length);
        maxHeap = Math.max(maxHeap, retainedHeap());
      }
      s3.resume();
      // GET /models answered from its snapshot while the store was paused.
      expect(modelsMs).to.be.below(1_000);
      await new Promise((resolve) => setTimeout(resolve, 10_000));
    } finally {
      stop = true;
      await Promise.all(clients);
      clearInterval(sampler);
    }
    await service.close();
    service = undefined;

    const servedRows = [...served.values()].reduce((a, b) => a + b, 0);
    expect(failures, 'requests answered with an error').to.equal(0);
    expect(dropped, 'rows dropped').to.deep.equal([]);
    expect(maxSpilled, 'batches spilled to disk during the outage').to.be.greaterThan(0);
    expect(maxMemoryRows, 'rows held in memory').to.be.at.most(BUFFER_ROWS + BATCH_ROWS);
    // Held rows are bounded, so the retained heap is too: far below what buffering every served row would take.
    expect(maxHeap - heapBefore, 'retained heap growth in bytes while the store was away').to.be.below(
      150 * 1024 * 1024,
    );
    expect(await fs.readdir(spillDir), 'spill directory after shipping').to.deep.equal([]);

    const stored = new Map<string, number>();
    let storedRows = 0;
    for (const { key } of await store.list(predictionLogPrefix(MODEL))) {
      for (const line of (await store.get(key)).toString('utf8').split('\n')) {
        if (!line) continue;
        const { requestId } = JSON.parse(line) as { requestId: string };
        stored.set(requestId, (stored.get(requestId) ?? 0) + 1);
        storedRows++;
      }
    }
    expect(servedRows).to.be.greaterThan(BUFFER_ROWS * 4); // the outage outlasted the memory buffer
    expect(storedRows, `stored ${storedRows} rows for ${servedRows} served`).to.equal(servedRows);
    for (const [id, n] of served) expect(stored.get(id), `rows of request ${id}`).to.equal(n);
  });
});
