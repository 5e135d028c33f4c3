import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { SEED_EXAMPLE_ROWS } from '../../src/data/prediction-input';
import { loadNativeEngine } from '../../src/engines/native-engine';
import { targetVector, transformRows, validateFeaturePipeline } from '../../src/features/features';
import { calibrateIntervals } from '../../src/evaluation/prediction-interval';
import { promoteChampion } from '../../src/registry/champion';
import { ModelRegistry } from '../../src/registry/model-registry';
import type { BlobStore } from '../../src/storage/blob-store';
import { openBlobStore } from '../../src/storage/from-uri';
import { startService, type RunningService } from '../../src/serve/service';
import { registerSampleVersions, sampleRows } from '../support/registered-models';

const MODEL = 'traffic-serve-intervals';
const silent = pino({ level: 'silent' });

interface Answer {
  error: string;
  version: number;
  predictions: number[];
  intervals?: [number, number][];
  intervalLevel?: number;
}

async function post(url: string, body: unknown) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Answer };
}

/**
 * Version 1 as registered before intervals existed; version 2 the same model with a calibration on the
 * sample's 2016 rows (it was trained on 2015 and 2016 here: fine for testing the wiring, not a coverage claim).
 */
async function registerWithCalibration(store: BlobStore): Promise<void> {
  const [v1] = await registerSampleVersions(store, MODEL, [30]);
  const pipeline = validateFeaturePipeline(JSON.parse((await store.get(v1.pipelineRef)).toString('utf8')));
  const rows = sampleRows([2016]);
  const model = loadNativeEngine().load(await store.get(v1.modelRef), v1.rounds);
  const predictions = model.predict(transformRows(pipeline, rows));
  model.free();
  const calibration = calibrateIntervals({
    rows,
    labels: targetVector(rows),
    predictions,
    source: { rows: 'sample 2016', model: 'rounds-30' },
  });
  const intervalRef = 'models/test.interval-calibration.json';
  await store.put(intervalRef, JSON.stringify(calibration));
  const { modelName: _m, version: _v, createdAt: _c, ...entry } = v1;
  await new ModelRegistry(store).register({
    createdAt: new Date().toISOString(),
    entry: { ...entry, modelName: MODEL, trialId: 'rounds-30-calibrated', intervalRef },
  });
}

describe('prediction service: ?interval= (real HTTP, file store)', function () {
  this.timeout(120_000);
  let dir: string;
  let store: BlobStore;
  let service: RunningService;

  before(async () => {
    dir = await fs.mkdtemp(path.join(tmpdir(), 'serve-intervals-'));
    store = openBlobStore(`file://${dir}`);
    await registerWithCalibration(store);
    await promoteChampion(new ModelRegistry(store), {
      modelName: MODEL,
      version: 2,
      by: 'test',
      at: new Date().toISOString(),
    });
    service = await startService(
      {
        host: '127.0.0.1',
        port: 0,
        modelName: MODEL,
        bodyLimit: 64 * 1024,
        pollMs: 100,
        predictionLog: false,
        logFlushRows: 1000,
        logFlushMs: 60_000,
        logLevel: 'silent',
      },
      store,
      silent,
    );
    await service.watcher.poll();
  });
  after(async () => {
    await service?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('answers an interval beside each prediction on /predict and /api/runs, clamped at 0', async () => {
    const plain = await post(`${service.url}/predict`, SEED_EXAMPLE_ROWS);
    expect(plain.body.intervals).to.equal(undefined);
    const { status, body } = await post(`${service.url}/predict?interval=0.9`, SEED_EXAMPLE_ROWS);
    expect(status).to.equal(200);
    expect(body.predictions).to.deep.equal(plain.body.predictions);
    expect(body.intervalLevel).to.equal(0.9);
    expect(body.intervals).to.have.length(SEED_EXAMPLE_ROWS.length);
    body.intervals!.forEach(([low, high], i) => {
      expect(low).to.be.at.least(0).and.at.most(body.predictions[i]);
      expect(high).to.be.greaterThan(body.predictions[i]);
    });
    const wider = await post(`${service.url}/predict?interval=0.99`, SEED_EXAMPLE_ROWS);
    expect(wider.body.intervals![0][1]).to.be.greaterThan(body.intervals![0][1]);

    const mage = {
      run: { pipeline_uuid: 'predict', block_uuid: 'inference', variables: { inputs: SEED_EXAMPLE_ROWS } },
    };
    const runs = await post(`${service.url}/api/runs?interval=0.9`, mage);
    expect(runs.status).to.equal(200);
    expect(runs.body.intervals).to.deep.equal(body.intervals);
  });

  it('400 for a level outside (0, 1); 422 for a version without a calibration', async () => {
    const bad = await post(`${service.url}/predict?interval=90`, SEED_EXAMPLE_ROWS);
    expect(bad.status).to.equal(400);
    expect(bad.body.error).to.match(/interval: interval level must be a number between 0 and 1/);
    const old = await post(`${service.url}/predict?version=1&interval=0.9`, SEED_EXAMPLE_ROWS);
    expect(old.status).to.equal(422);
    expect(old.body.error).to.match(/v1 has no prediction-interval calibration/);
  });
});
