import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { SEED_EXAMPLE_ROWS } from '../../src/data/prediction-input';
import { parsePredictionRows } from '../../src/data/prediction-rows';
import { PredictionLog, type DroppedRows } from '../../src/serve/prediction-log';
import type { BlobStore } from '../../src/storage/blob-store';
import { openBlobStore } from '../../src/storage/from-uri';

/** A real file store whose writes fail while `down` (an outage), counting every write attempt per key. */
function storeWithOutage(dir: string) {
  const files = openBlobStore(`file://${dir}`);
  const state = { down: false, attempts: new Map<string, number>() };
  const store: BlobStore = Object.assign(Object.create(files) as BlobStore, {
    put: async (key: string, body: Buffer | string) => {
      state.attempts.set(key, (state.attempts.get(key) ?? 0) + 1);
      if (state.down) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      return files.put(key, body);
    },
  });
  return { store, files, state };
}

const ROWS = parsePredictionRows(SEED_EXAMPLE_ROWS);
const silent = pino({ level: 'silent' });

async function storedRows(files: BlobStore): Promise<string[]> {
  const ids: string[] = [];
  for (const { key } of await files.list('predictions/'))
    for (const line of (await files.get(key)).toString('utf8').split('\n'))
      if (line) ids.push((JSON.parse(line) as { requestId: string }).requestId);
  return ids.sort();
}

describe('prediction log: retries under one key, spill to disk, restart, drops counted', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(tmpdir(), 'plog-spill-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('keeps memory within the buffer, spills the rest, and ships everything once, in order, when the store returns', async () => {
    const { store, files, state } = storeWithOutage(path.join(dir, 'store'));
    const spillDir = path.join(dir, 'spill');
    const log = new PredictionLog({
      store,
      maxRows: 4,
      flushMs: 60_000,
      bufferRows: 8,
      spillDir,
      retryMs: 20,
      log: silent,
    });
    state.down = true;
    let maxMemory = 0;
    for (let i = 0; i < 20; i++) {
      log.append(
        {
          model: 'm',
          version: 1,
          requestId: `r${String(i).padStart(2, '0')}`,
          at: '2024-05-01T10:00:00.000Z',
        },
        ROWS,
        [1, 2],
      );
      maxMemory = Math.max(maxMemory, log.memoryRows);
      await log.spillsWritten(); // requests arriving no faster than the disk takes batches
    }
    expect(maxMemory).to.be.at.most(8 + 4);
    expect((await fs.readdir(spillDir)).length).to.be.greaterThan(0);
    state.down = false;
    await log.flush();
    const ids = await storedRows(files);
    expect(log.dropped, 'rows dropped').to.equal(0);
    expect(ids).to.have.length(40);
    expect(new Set(ids).size).to.equal(20);
    expect(await fs.readdir(spillDir)).to.deep.equal([]);
    // Every retry went to the key chosen at sealing: as many objects as keys ever tried.
    expect((await files.list('predictions/')).length).to.equal(state.attempts.size);
    expect([...state.attempts.values()].some((n) => n > 1)).to.equal(true);
  });

  it('drops nothing when requests keep arriving while a batch is being written to disk', async () => {
    const { store, files, state } = storeWithOutage(path.join(dir, 'store'));
    const log = new PredictionLog({
      store,
      maxRows: 4,
      flushMs: 60_000,
      bufferRows: 8,
      spillDir: path.join(dir, 'spill'),
      retryMs: 20,
      log: silent,
    });
    state.down = true;
    for (let i = 0; i < 24; i++) {
      const meta = {
        model: 'm',
        version: 1,
        requestId: `r${String(i).padStart(2, '0')}`,
        at: '2024-05-01T10:00:00.000Z',
      };
      log.append(meta, ROWS, [1, 2]);
      // Every append seals a batch of 4 rows on odd i; the next request's rows arrive before that batch is on disk.
      if (i % 2 === 0 && i > 0) await log.spillsWritten();
      expect(log.memoryRows, `rows in memory after request ${i}`).to.be.at.most(8 + 4);
    }
    expect(log.dropped, 'rows dropped').to.equal(0);
    state.down = false;
    await log.flush();
    expect(await storedRows(files)).to.have.length(48);
  });

  it('a restart ships the batches an earlier run left in the spill directory', async () => {
    const { store, files, state } = storeWithOutage(path.join(dir, 'store'));
    const spillDir = path.join(dir, 'spill');
    state.down = true;
    const first = new PredictionLog({
      store,
      maxRows: 2,
      flushMs: 60_000,
      spillDir,
      retryMs: 20,
      log: silent,
    });
    first.append({ model: 'm', version: 1, requestId: 'a', at: '2024-05-01T10:00:00.000Z' }, ROWS, [1, 2]);
    first.append({ model: 'm', version: 1, requestId: 'b', at: '2024-05-01T10:00:01.000Z' }, ROWS, [1, 2]);
    await first.close(200); // the store is away: the batches go to disk
    expect((await fs.readdir(spillDir)).length).to.equal(2);
    expect(first.dropped).to.equal(0);
    state.down = false;
    const second = new PredictionLog({
      store,
      maxRows: 2,
      flushMs: 60_000,
      spillDir,
      retryMs: 20,
      log: silent,
    });
    await second.start();
    await second.flush();
    expect(await storedRows(files)).to.deep.equal(['a', 'a', 'b', 'b']);
    expect(await fs.readdir(spillDir)).to.deep.equal([]);
  });

  it('rows that cannot be kept are counted and reported to the hook, never dropped silently', async () => {
    const { store, state } = storeWithOutage(path.join(dir, 'store'));
    const dropped: DroppedRows[] = [];
    state.down = true;
    const log = new PredictionLog({
      store,
      maxRows: 2,
      flushMs: 60_000,
      bufferRows: 2,
      spillDir: path.join(dir, 'spill'),
      spillBytes: 1, // nothing fits
      retryMs: 20,
      log: silent,
      onDropped: (d) => dropped.push(d),
    });
    for (let i = 0; i < 5; i++)
      log.append(
        { model: 'm', version: 1, requestId: `r${i}`, at: '2024-05-01T10:00:00.000Z' },
        ROWS,
        [1, 2],
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
    await log.close(100);
    const total = dropped.reduce((n, d) => n + d.rows, 0);
    expect(total).to.be.greaterThan(0);
    expect(log.dropped).to.equal(total);
    expect(dropped[0].reason).to.match(/spill directory is full|buffer is full|did not answer/);
  });
});
