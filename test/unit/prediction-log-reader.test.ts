import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { parsePredictionRows } from '../../src/data/prediction-rows';
import { readLoggedRows } from '../../src/monitoring/prediction-log-reader';
import { PredictionLog } from '../../src/serve/prediction-log';
import { openBlobStore } from '../../src/storage/from-uri';
import { SEED_EXAMPLE_ROWS } from '../../src/data/prediction-input';

describe('prediction log: written by the service, read back as drift "current" rows', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(tmpdir(), 'plog-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('round-trips served rows by day window and counts lines that do not parse', async () => {
    const store = openBlobStore(`file://${dir}`);
    const log = new PredictionLog({ store, maxRows: 1000, flushMs: 60_000, log: pino({ level: 'silent' }) });
    const rows = parsePredictionRows(SEED_EXAMPLE_ROWS);
    log.append({ model: 'm', version: 3, requestId: 'a', at: '2024-05-01T10:00:00.000Z' }, rows, [10, 20]);
    log.append({ model: 'm', version: 3, requestId: 'b', at: '2024-05-03T10:00:00.000Z' }, rows, [11, 21]);
    log.append({ model: 'other', version: 1, requestId: 'c', at: '2024-05-03T10:00:00.000Z' }, rows, [1, 2]);
    await log.flush();
    await store.put('predictions/m/2024-05-03/999999-broken.jsonl', '{"temp": "warm"}\n\n');

    const keys = (await store.list('predictions/')).map((b) => b.key);
    expect(keys).to.have.length(4);
    expect(keys.filter((k) => k.startsWith('predictions/m/2024-05-01/100000-'))).to.have.length(1);

    const recent = await readLoggedRows(store, 'm', 2, new Date('2024-05-03T23:00:00Z'));
    expect(recent.files).to.equal(2);
    expect(recent.rows.map((r) => r.date_time.text)).to.deep.equal([
      '2024-10-02 09:00:00',
      '2024-11-28 00:00:00',
    ]);
    expect(recent.badLineCount).to.equal(1);
    expect(recent.badLines[0]).to.match(
      /^predictions\/m\/2024-05-03\/999999-broken\.jsonl:1: row 0, field date_time/,
    );

    const all = await readLoggedRows(store, 'm', 3, new Date('2024-05-03T23:00:00Z'));
    expect(all.rows).to.have.length(4);
    expect(all.rows[0]).to.deep.equal(rows[0]);
  });
});
