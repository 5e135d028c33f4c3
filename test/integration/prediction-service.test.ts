import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { SEED_EXAMPLE_ROWS } from '../../src/data/prediction-input';
import { validateFeaturePipeline } from '../../src/features/features';
import { predictionLogPrefix } from '../../src/monitoring/prediction-log-keys';
import { promoteChampion } from '../../src/registry/champion';
import { ModelRegistry } from '../../src/registry/model-registry';
import type { BlobStore } from '../../src/storage/blob-store';
import { openBlobStore } from '../../src/storage/from-uri';
import type { LoadedModel } from '../../src/serve/loaded-model';
import { ServiceMetrics } from '../../src/serve/metrics';
import { ModelHolder } from '../../src/serve/model-holder';
import { ModelsListing } from '../../src/serve/models-listing';
import type { ServeConfig } from '../../src/serve/serve-config';
import { buildServer } from '../../src/serve/server';
import { startService, type RunningService } from '../../src/serve/service';
import { PIPELINE_REF, registerSampleChampion, registerSampleVersions } from '../support/registered-models';
import { freePort } from '../support/temporal';

const MODEL = 'traffic-serve-test';
const ROW = SEED_EXAMPLE_ROWS[0];
const silent = pino({ level: 'silent' });

/** The fields of the service's JSON answers that the tests read. */
interface Answer {
  error: string;
  version: number;
  predictions: number[];
  problems: unknown[];
  warnings: { row: number; field: string; message: string }[];
}

interface ModelsAnswer {
  serving: number;
  champion: Record<string, unknown>;
  versions: { version: number }[];
}

function config(overrides: Partial<ServeConfig> = {}): ServeConfig {
  return {
    host: '127.0.0.1',
    port: 0,
    modelName: MODEL,
    bodyLimit: 64 * 1024,
    pollMs: 100,
    predictionLog: true,
    logFlushRows: 1000,
    logFlushMs: 60_000,
    logLevel: 'silent',
    ...overrides,
  };
}

async function post(url: string, body: unknown, contentType = 'application/json') {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Answer };
}

async function readLoggedRows(store: BlobStore): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (const { key } of await store.list(predictionLogPrefix(MODEL))) {
    const text = (await store.get(key)).toString('utf8');
    for (const line of text.split('\n')) if (line) rows.push(JSON.parse(line));
  }
  return rows;
}

describe('prediction service over HTTP', function () {
  this.timeout(120_000);
  let dir: string;
  let store: BlobStore;
  let registry: ModelRegistry;
  let service: RunningService;

  before(async () => {
    dir = await fs.mkdtemp(path.join(tmpdir(), 'serve-'));
    store = openBlobStore(`file://${dir}`);
    registry = new ModelRegistry(store);
    await registerSampleVersions(store, MODEL, [10, 30]);
    service = await startService(config(), store, silent);
  });
  after(async () => {
    await service?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const promote = (version: number) =>
    promoteChampion(registry, { modelName: MODEL, version, by: 'test', at: new Date().toISOString() });

  describe('before any champion', () => {
    it('is alive but not ready, and answers 503 with a clear message', async () => {
      expect((await fetch(`${service.url}/healthz`)).status).to.equal(200);
      const ready = await fetch(`${service.url}/readyz`);
      expect(ready.status).to.equal(503);
      const { status, body } = await post(`${service.url}/predict`, [ROW]);
      expect(status).to.equal(503);
      expect(body.error).to.match(/no champion of model "traffic-serve-test" is loaded yet/);
    });
  });

  describe('with a champion', () => {
    before(async () => {
      await promote(1);
      await service.watcher.poll();
    });

    it('is ready and names the version', async () => {
      const ready = await fetch(`${service.url}/readyz`);
      expect(ready.status).to.equal(200);
      expect(await ready.json()).to.deep.equal({ ready: true, model: MODEL, version: 1 });
    });

    it('answers a JSON array, the seed {"inputs"} payload and CSV alike, in input order', async () => {
      const array = await post(`${service.url}/predict`, SEED_EXAMPLE_ROWS);
      expect(array.status).to.equal(200);
      expect(array.body).to.include({ model: MODEL, version: 1 });
      expect(array.body.predictions).to.have.length(2);
      const inputs = await post(`${service.url}/predict`, { inputs: SEED_EXAMPLE_ROWS });
      const reversed = await post(`${service.url}/predict`, [...SEED_EXAMPLE_ROWS].reverse());
      const header = Object.keys(ROW).join(',');
      const csv = [header, ...SEED_EXAMPLE_ROWS.map((r) => Object.values(r).join(','))].join('\n');
      const fromCsv = await post(`${service.url}/predict`, csv, 'text/csv');
      expect(inputs.body.predictions).to.deep.equal(array.body.predictions);
      expect(fromCsv.body.predictions).to.deep.equal(array.body.predictions);
      expect(reversed.body.predictions).to.deep.equal([...array.body.predictions].reverse());
      for (const p of array.body.predictions) expect(p).to.be.a('number').and.at.least(0);
    });

    it('POST /explain answers each row with its prediction and its top SHAP contributions by input column', async () => {
      const predicted = await post(`${service.url}/predict`, SEED_EXAMPLE_ROWS);
      const response = await fetch(`${service.url}/explain?top=3`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: SEED_EXAMPLE_ROWS }),
      });
      expect(response.status).to.equal(200);
      const body = (await response.json()) as {
        model: string;
        version: number;
        explanations: {
          prediction: number;
          bias: number;
          contributions: { column: string; value: number }[];
        }[];
      };
      expect(body).to.include({ model: MODEL, version: 1 });
      expect(body.explanations).to.have.length(2);
      body.explanations.forEach((e, i) => {
        expect(e.prediction).to.be.closeTo(predicted.body.predictions[i], 0.02);
        expect(e.contributions).to.have.length(3);
        const sizes = e.contributions.map((c) => Math.abs(c.value));
        expect(sizes).to.deep.equal([...sizes].sort((a, b) => b - a));
        for (const c of e.contributions) expect(c.column).to.not.include('=');
      });
      const bad = await post(`${service.url}/explain`, [{ ...ROW, temp: 'hot' }]);
      expect(bad.status).to.equal(400);
    });

    it("POST /api/runs takes the seed's exact Mage body and answers with the predictions", async () => {
      const mage = {
        run: { pipeline_uuid: 'predict', block_uuid: 'inference', variables: { inputs: SEED_EXAMPLE_ROWS } },
      };
      const { status, body } = await post(`${service.url}/api/runs`, mage);
      expect(status).to.equal(200);
      const direct = await post(`${service.url}/predict`, SEED_EXAMPLE_ROWS);
      expect(body).to.deep.equal(direct.body);
      const other = await post(`${service.url}/api/runs`, { run: { ...mage.run, pipeline_uuid: 'train' } });
      expect(other.status).to.equal(400);
      expect(other.body.error).to.match(/only the "predict" pipeline is served here/);
    });

    it('?version=N and ?alias=champion choose the model; an unknown version is 404', async () => {
      const v2 = await post(`${service.url}/predict?version=2`, [ROW]);
      expect(v2.body.version).to.equal(2);
      const champion = await post(`${service.url}/predict?alias=champion`, [ROW]);
      expect(champion.body.version).to.equal(1);
      expect(v2.body.predictions[0]).to.not.equal(champion.body.predictions[0]);
      const missing = await post(`${service.url}/predict?version=99`, [ROW]);
      expect(missing.status).to.equal(404);
      expect(missing.body.error).to.equal(`model "${MODEL}" has no version 99`);
      const bad = await post(`${service.url}/predict?version=abc`, [ROW]);
      expect(bad.status).to.equal(400);
      expect(bad.body.error).to.match(/version must be a version number/);
    });

    it('400 lists every problem with row, field, expected and got', async () => {
      const rows = [
        { ...ROW, temp: '500', rain_1h: -1, clouds_all: 101 },
        { ...ROW, snow_1h: 'lots', date_time: '2024-10-02' },
        { ...ROW, weather_main: undefined, temp: 100 },
      ];
      const { status, body } = await post(`${service.url}/predict`, rows);
      expect(status).to.equal(400);
      expect(body.problems).to.deep.equal([
        {
          row: 0,
          field: 'temp',
          expected: 'a temperature in kelvin between 150 and 350',
          got: '500',
          reason: 'range',
        },
        {
          row: 0,
          field: 'rain_1h',
          expected: 'rain in mm in the hour, between 0 and 500',
          got: -1,
          reason: 'range',
        },
        {
          row: 0,
          field: 'clouds_all',
          expected: 'cloud cover in %, between 0 and 100',
          got: 101,
          reason: 'range',
        },
        {
          row: 1,
          field: 'snow_1h',
          expected: 'a finite number (numeric strings accepted)',
          got: 'lots',
          reason: 'type',
        },
        {
          row: 1,
          field: 'date_time',
          expected: 'a date-time "YYYY-MM-DD HH:MM:SS"',
          got: '2024-10-02',
          reason: 'format',
        },
        {
          row: 2,
          field: 'temp',
          expected: 'a temperature in kelvin between 150 and 350',
          got: 100,
          reason: 'range',
        },
        { row: 2, field: 'weather_main', expected: 'a non-empty string', got: null, reason: 'missing' },
      ]);
      expect(body.error).to.match(/^invalid rows: row 0, field temp: .* \(and 6 more problems\)$/);
    });

    it('400 for a row that is not an object, invalid JSON, an empty list and an unsupported content type', async () => {
      const notObject = await post(`${service.url}/predict`, [ROW, 7]);
      expect(notObject.status).to.equal(400);
      expect(notObject.body.error).to.equal('request body: row 1 is not an object');
      const invalid = await post(`${service.url}/predict`, '[{"temp": ');
      expect(invalid.status).to.equal(400);
      expect(invalid.body.error).to.match(/^request body: invalid JSON/);
      const empty = await post(`${service.url}/predict`, []);
      expect(empty.status).to.equal(400);
      expect(empty.body.error).to.equal('request body: no input rows');
      const xml = await post(`${service.url}/predict`, '<rows/>', 'application/xml');
      expect(xml.status).to.equal(415);
    });

    it('accepts an unknown weather_main and flags it in warnings', async () => {
      const { status, body } = await post(`${service.url}/predict`, [
        ROW,
        { ...ROW, weather_main: 'Sandstorm' },
      ]);
      expect(status).to.equal(200);
      expect(body.predictions).to.have.length(2);
      expect(body.warnings).to.have.length(1);
      expect(body.warnings[0]).to.include({ row: 1, field: 'weather_main' });
      expect(body.warnings[0].message).to.match(/^unknown category "Sandstorm"/);
    });

    it('matches holiday names case-insensitively and flags an unknown one, treated as no holiday (issue 16)', async () => {
      const { status, body } = await post(`${service.url}/predict`, [
        { ...ROW, holiday: 'None' },
        { ...ROW, holiday: 'Festivus' },
        { ...ROW, holiday: 'Labor Day' },
        { ...ROW, holiday: 'LABOR day' },
      ]);
      expect(status).to.equal(200);
      expect(body.warnings).to.have.length(1);
      expect(body.warnings[0]).to.include({ row: 1, field: 'holiday' });
      expect(body.warnings[0].message).to.match(/^unknown holiday "Festivus" \(known: None, Christmas Day/);
      expect(body.predictions[1]).to.equal(body.predictions[0]);
      expect(body.predictions[3]).to.equal(body.predictions[2]);
    });

    it('413 for a body over the limit', async () => {
      const rows = Array.from({ length: 1000 }, () => ROW);
      const { status, body } = await post(`${service.url}/predict`, rows);
      expect(status).to.equal(413);
      expect(body.error).to.equal('request body larger than the limit of 65536 bytes (SERVE_BODY_LIMIT)');
    });

    it('GET /models lists versions and the champion; GET /metrics has the service metrics', async () => {
      const models = (await (await fetch(`${service.url}/models`)).json()) as ModelsAnswer;
      expect(models.serving).to.equal(1);
      expect(models.champion).to.include({ version: 1, by: 'test', action: 'promote' });
      expect(models.versions.map((v) => v.version)).to.deep.equal([1, 2]);
      const metrics = await fetch(`${service.url}/metrics`);
      const text = await metrics.text();
      for (const line of [
        'prediction_http_requests_total{route="/predict",method="POST",status="200"}',
        'prediction_http_request_duration_seconds_bucket{',
        'prediction_rows_total{version="1"}',
        'prediction_champion_version 1',
        'prediction_champion_swaps_total 1',
        'prediction_validation_failures_total{reason="range"}',
        'prediction_validation_failures_total{reason="body"}',
        'prediction_flagged_rows_total{reason="unknown-category"}',
      ]) {
        expect(text).to.include(line);
      }
    });

    it('every response carries a request id (the incoming x-request-id when given)', async () => {
      const response = await fetch(`${service.url}/healthz`, { headers: { 'x-request-id': 'abc-123' } });
      expect(response.headers.get('x-request-id')).to.equal('abc-123');
      expect((await fetch(`${service.url}/healthz`)).headers.get('x-request-id')).to.match(
        /^r[0-9a-f]{6}-[0-9a-z]+$/,
      );
    });

    it('follows the champion under load: swaps every 300 ms, no request fails, each answer names its version', async () => {
      const seen = new Map<number, number>();
      const failures: string[] = [];
      let stop = false;
      const client = async () => {
        while (!stop) {
          const response = await fetch(`${service.url}/predict`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify([ROW]),
          }).catch((err: Error) => ({ status: -1, json: async () => ({ error: err.message }) }));
          const body = (await response.json()) as Answer;
          if (response.status !== 200) failures.push(`${response.status} ${JSON.stringify(body)}`);
          else seen.set(body.version, (seen.get(body.version) ?? 0) + 1);
        }
      };
      const clients = Array.from({ length: 8 }, client);
      for (let i = 0; i < 10; i++) {
        await promote(i % 2 === 0 ? 2 : 1);
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      stop = true;
      await Promise.all(clients);
      expect(failures).to.deep.equal([]);
      expect([...seen.keys()].sort()).to.deep.equal([1, 2]);
      expect(seen.get(1)! + seen.get(2)!).to.be.greaterThan(50);
      await service.watcher.poll();
      expect(service.holder.champion?.version).to.equal(1);
    });
  });

  it('never answers a negative prediction', async () => {
    const holder = new ModelHolder(MODEL, registry, () => Promise.reject(new Error('unused')));
    const fake: LoadedModel = {
      modelName: MODEL,
      version: 7,
      engine: 'native',
      pipeline: validateFeaturePipeline(JSON.parse((await store.get(PIPELINE_REF)).toString('utf8'))),
      score: async (rows) => Float32Array.from(rows, (_r, i) => (i === 0 ? -12.5 : 3.456)),
      explain: () => Promise.reject(new Error('not used')),
      free: () => undefined,
    };
    holder.swapChampion(fake);
    const app = buildServer(
      {
        holder,
        registry,
        metrics: new ServiceMetrics(),
        models: new ModelsListing(registry, MODEL, 1000),
        explainMaxRows: 10,
      },
      { bodyLimit: 1e6, log: silent },
    );
    const response = await app.inject({ method: 'POST', url: '/predict', payload: [ROW, ROW] });
    expect(response.json()).to.deep.equal({ model: MODEL, version: 7, predictions: [0, 3.46] });
    await app.close();
  });

  it('npm run serve flushes the prediction log on SIGTERM: every served row is in the artifact store', async () => {
    const port = await freePort();
    const artifacts = await fs.mkdtemp(path.join(tmpdir(), 'serve-log-'));
    const logStore = openBlobStore(`file://${artifacts}`);
    await registerSampleChampion(logStore, MODEL, 10);
    const child = spawn(
      process.execPath,
      [path.resolve(__dirname, '../../src/prediction-service.js'), '--port', String(port)],
      {
        env: {
          ...process.env,
          ARTIFACTS_URI: `file://${artifacts}`,
          MODEL_NAME: MODEL,
          PREDICTION_LOG_ROWS: '100000',
          PREDICTION_LOG_FLUSH_MS: '600000',
          PREDICTION_LOG_SPILL_DIR: path.join(artifacts, 'spill'),
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    try {
      const url = `http://127.0.0.1:${port}`;
      for (let i = 0; ; i++) {
        const ready = await fetch(`${url}/readyz`).catch(() => undefined);
        if (ready?.status === 200) break;
        if (i > 300) throw new Error(`service did not become ready: ${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      for (let i = 0; i < 20; i++)
        expect((await post(`${url}/predict`, SEED_EXAMPLE_ROWS)).status).to.equal(200);
      expect(await readLoggedRows(logStore)).to.have.length(0); // still buffered
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code, output).to.equal(0);
      const logged = await readLoggedRows(logStore);
      expect(logged).to.have.length(40);
      expect(logged[0]).to.include({
        model: MODEL,
        version: 1,
        date_time: '2024-10-02 09:00:00',
        temp: 288.28,
      });
      expect(logged[0].prediction).to.be.a('number');
      const keys = (await logStore.list(predictionLogPrefix(MODEL))).map((b) => b.key);
      expect(keys[0]).to.match(
        new RegExp(`^predictions/${MODEL}/\\d{4}-\\d{2}-\\d{2}/\\d{6}-[0-9a-f]{8}-\\d{6}\\.jsonl$`),
      );
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await fs.rm(artifacts, { recursive: true, force: true });
    }
  });
});
