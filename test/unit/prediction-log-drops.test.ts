import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import pino from 'pino';
import { parsePredictionRows } from '../../src/data/prediction-rows';
import { droppedRowsPrefix } from '../../src/monitoring/prediction-log-keys';
import { PredictionLog } from '../../src/serve/prediction-log';
import type { BlobStore } from '../../src/storage/blob-store';
import { openBlobStore } from '../../src/storage/from-uri';

describe('prediction log: rows dropped while the store is down are recorded for monitoring', () => {
  it('writes the count per day of the dropped hours once the store is back', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drops-'));
    const real = openBlobStore(`file://${dir}`);
    let down = true;
    const store: BlobStore = Object.create(real) as BlobStore;
    store.put = (key, body) => (down ? Promise.reject(new Error('store down')) : real.put(key, body));
    const log = new PredictionLog({
      store,
      maxRows: 2,
      flushMs: 600_000,
      bufferRows: 2,
      retryMs: 10,
      log: pino({ level: 'silent' }),
    });
    const rows = parsePredictionRows(
      [0, 1, 2, 3, 4].map((h) => ({
        holiday: 'None',
        temp: 280,
        rain_1h: 0,
        snow_1h: 0,
        clouds_all: 40,
        weather_main: 'Clouds',
        date_time: `2016-06-20 0${h}:00:00`,
      })),
    );
    const meta = { model: 'm', version: 1, requestId: 'r', at: '2016-06-20T12:00:00Z' };
    // Two rows fill the buffer (no spill directory) while the store is down; the next three cannot be kept.
    log.append(meta, rows.slice(0, 2), [1, 2]);
    log.append(meta, rows.slice(2), [3, 4, 5]);
    expect(log.dropped).to.equal(3);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await real.list(droppedRowsPrefix('m', '2016-06-20'))).to.deep.equal([]);
    down = false;
    await log.flush();
    const markers = await real.list(droppedRowsPrefix('m', '2016-06-20'));
    expect(markers).to.have.length(1);
    expect(JSON.parse((await real.get(markers[0].key)).toString('utf8'))).to.deep.include({
      day: '2016-06-20',
      dropped: 3,
    });
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
