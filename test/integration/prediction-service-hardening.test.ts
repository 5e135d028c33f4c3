import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { promises as fs } from 'node:fs';
import https from 'node:https';
import { availableParallelism, tmpdir } from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { SEED_EXAMPLE_ROWS } from '../../src/data/prediction-input';
import { predictionLogPrefix } from '../../src/monitoring/prediction-log-keys';
import { parseApiKeys, type ServeConfig } from '../../src/serve/serve-config';
import { startService, type RunningService } from '../../src/serve/service';
import type { BlobStore } from '../../src/storage/blob-store';
import { openBlobStore } from '../../src/storage/from-uri';
import { registerSampleChampion, sampleRows } from '../support/registered-models';
import { freePort } from '../support/temporal';
import { makeTestPki } from '../support/tls';

const MODEL = 'traffic-serve-hardening';
const ROW = SEED_EXAMPLE_ROWS[0];
const silent = pino({ level: 'silent' });
const REPO = path.resolve(__dirname, '../../..');

function config(overrides: Partial<ServeConfig> = {}): ServeConfig {
  return {
    host: '127.0.0.1',
    port: 0,
    modelName: MODEL,
    bodyLimit: 1024 * 1024,
    pollMs: 100,
    predictionLog: false,
    logFlushRows: 1000,
    logFlushMs: 60_000,
    logLevel: 'silent',
    ...overrides,
  };
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as { error: string; predictions: number[] },
  };
}

/** Request rows as a client sends them: the sample's rows with the fields the service reads. */
function requestRows(n: number): Record<string, unknown>[] {
  return sampleRows([2015, 2016])
    .slice(0, n)
    .map((r) => ({
      holiday: r.holiday,
      temp: r.temp,
      rain_1h: r.rain_1h,
      snow_1h: r.snow_1h,
      clouds_all: r.clouds_all,
      weather_main: r.weather_main,
      date_time: r.date_time.text,
    }));
}

describe('prediction service: non-blocking, limits, auth, TLS and small defects', function () {
  this.timeout(300_000);
  let dir: string;
  let store: BlobStore;

  before(async () => {
    dir = await fs.mkdtemp(path.join(tmpdir(), 'serve-hard-'));
    store = openBlobStore(`file://${dir}/artifacts`);
    // 150 rounds of depth 6: TreeSHAP of 1000 rows takes seconds, so a blocked event loop would show.
    await registerSampleChampion(store, MODEL, 150);
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  describe('one service', () => {
    let service: RunningService;
    before(async () => {
      service = await startService(config({ explainMaxRows: 1000 }), store, silent);
    });
    after(async () => {
      await service?.close();
    });

    it('POST /explain with the maximum rows leaves /healthz answering within 50 ms throughout', async () => {
      const rows = requestRows(1000);
      const latencies: number[] = [];
      let done = false;
      const started = performance.now();
      const explained = post(`${service.url}/explain`, rows).finally(() => (done = true));
      while (!done) {
        const t0 = performance.now();
        const health = await fetch(`${service.url}/healthz`);
        await health.arrayBuffer();
        latencies.push(performance.now() - t0);
        expect(health.status).to.equal(200);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const explainMs = performance.now() - started;
      const answer = await explained;
      expect(answer.status).to.equal(200);
      expect((answer.body as unknown as { explanations: unknown[] }).explanations).to.have.length(1000);
      latencies.sort((a, b) => a - b);
      const summary = `${latencies.length} polls during ${explainMs.toFixed(0)} ms of /explain; slowest ${latencies.at(-1)?.toFixed(1)} ms`;
      // Many polls show the explanation ran alongside them, not in one block on the event loop (which made
      // one poll wait for the whole explanation). The typical poll answers within 50 ms; the slowest gets a
      // generous margin, because on a shared, loaded machine the process itself may wait for a core.
      expect(latencies.length, summary).to.be.at.least(10);
      expect(latencies[Math.floor(latencies.length / 2)], summary).to.be.below(50);
      expect(latencies.at(-1), summary).to.be.below(Math.min(1_000, explainMs / 4));
    });

    it('POST /explain above SERVE_EXPLAIN_MAX_ROWS is 413 and says the limit', async () => {
      const { status, body } = await post(`${service.url}/explain`, requestRows(1001));
      expect(status).to.equal(413);
      expect(body.error).to.equal(
        '1001 rows is more than this route takes at once: at most 1000 (SERVE_EXPLAIN_MAX_ROWS)',
      );
    });

    it('a large CSV body (6,000 rows) is answered in full, and /healthz answers while it is worked on', async () => {
      const rows = requestRows(6000);
      const header = Object.keys(rows[0]).join(',');
      const csv = [header, ...rows.map((r) => Object.values(r).join(','))].join('\n');
      let done = false;
      let answeredMeanwhile = 0;
      const polling = (async () => {
        while (!done) {
          const health = await fetch(`${service.url}/healthz`);
          await health.arrayBuffer();
          if (!done) answeredMeanwhile++;
        }
      })();
      const response = await fetch(`${service.url}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'text/csv' },
        body: csv,
      }).finally(() => (done = true));
      await polling;
      expect(response.status).to.equal(200);
      expect(((await response.json()) as { predictions: number[] }).predictions).to.have.length(6000);
      expect(answeredMeanwhile).to.be.at.least(1);
    });

    it('?version beyond the integers is 400, not 500', async () => {
      const { status, body } = await post(`${service.url}/predict?version=99999999999999999999`, [ROW]);
      expect(status).to.equal(400);
      expect(body.error).to.match(/version must be a version number from 1 to 2\^53 - 1/);
    });

    for (const scalar of ['"hello"', '42', 'null', 'true']) {
      it(`a JSON body ${scalar} is 400 saying it is not rows`, async () => {
        const { status, body } = await post(`${service.url}/predict`, scalar);
        expect(status).to.equal(400);
        expect(body.error).to.match(
          /^request body: expected a JSON array of rows or an object with "inputs", got /,
        );
        expect(body.error).to.not.match(/CSV/);
      });
    }

    it('temp 1e309 (infinity in JSON) says the number is too large, not "got null"', async () => {
      const text = JSON.stringify([ROW]).replace('"temp":"288.28"', '"temp":1e309');
      const { status, body } = await post(`${service.url}/predict`, text);
      expect(status).to.equal(400);
      expect(body.error).to.include('field temp');
      expect(body.error).to.include('beyond the largest representable');
      expect(body.error).to.include('got "Infinity"');
    });

    it('rain_1h 1e300 is outside the physical range', async () => {
      const { status, body } = await post(`${service.url}/predict`, [{ ...ROW, rain_1h: 1e300 }]);
      expect(status).to.equal(400);
      expect(body.error).to.match(/field rain_1h: expected rain in mm in the hour, between 0 and 500/);
      const ok = await post(`${service.url}/predict`, [{ ...ROW, rain_1h: 25.4 }]);
      expect(ok.status).to.equal(200);
    });
  });

  it('API keys: 401 without or with a wrong key on every route but the probes (and /metrics); keys never logged', async () => {
    const keyFile = path.join(dir, 'keys.txt');
    await fs.writeFile(keyFile, '# service keys\nkey-one-secret\nkey-two-secret\n');
    let logged = '';
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logged += String(chunk);
        cb();
      },
    });
    const keys = parseApiKeys(`@${keyFile}`);
    expect(keys).to.deep.equal(['key-one-secret', 'key-two-secret']);
    const open = await startService(
      config({ apiKeys: keys, logLevel: 'trace' }),
      store,
      pino({ level: 'trace' }, sink),
    );
    const locked = await startService(config({ apiKeys: ['k'], metricsAuth: true }), store, silent);
    try {
      const url = open.url;
      expect((await post(`${url}/predict`, [ROW])).status).to.equal(401);
      const wrong = await post(`${url}/predict`, [ROW], { authorization: 'Bearer key-one-secreT' });
      expect(wrong.status).to.equal(401);
      expect(wrong.body.error).to.match(/missing or wrong API key/);
      expect(
        (await post(`${url}/predict`, [ROW], { authorization: 'Bearer key-two-secret' })).status,
      ).to.equal(200);
      expect((await post(`${url}/explain`, [ROW])).status).to.equal(401);
      expect((await post(`${url}/api/runs`, {})).status).to.equal(401);
      expect((await fetch(`${url}/models`)).status).to.equal(401);
      expect((await fetch(`${url}/nowhere`)).status).to.equal(401);
      const auth = { authorization: 'Bearer key-one-secret' };
      expect((await fetch(`${url}/models`, { headers: auth })).status).to.equal(200);
      expect((await fetch(`${url}/healthz`)).status).to.equal(200);
      expect((await fetch(`${url}/readyz`)).status).to.equal(200);
      expect((await fetch(`${url}/metrics`)).status).to.equal(200);
      expect((await fetch(`${locked.url}/metrics`)).status).to.equal(401);
      expect(
        (await fetch(`${locked.url}/metrics`, { headers: { authorization: 'Bearer k' } })).status,
      ).to.equal(200);
      expect((await fetch(`${locked.url}/healthz`)).status).to.equal(200);
    } finally {
      await open.close();
      await locked.close();
    }
    expect(logged).to.include('request'); // the log was written…
    expect(logged).to.not.include('key-one-secret'); // …without the keys
    expect(logged).to.not.include('key-two-secret');
  });

  it('refuses to listen beyond loopback without keys unless insecure', async () => {
    let error: Error | undefined;
    await startService(config({ host: '0.0.0.0' }), store, silent).catch((err: Error) => (error = err));
    expect(error?.message).to.equal(
      'refusing to listen on 0.0.0.0 without API keys: set SERVE_API_KEYS, listen on 127.0.0.1, or pass --insecure',
    );
    const insecure = await startService(config({ host: '0.0.0.0', insecure: true }), store, silent);
    await insecure.close();
    const keyed = await startService(config({ host: '0.0.0.0', apiKeys: ['k'] }), store, silent);
    await keyed.close();
  });

  it('serves HTTPS with SERVE_TLS_CERT and SERVE_TLS_KEY', async () => {
    const pkiDir = await fs.mkdtemp(path.join(dir, 'pki-'));
    const pki = makeTestPki(pkiDir);
    const service = await startService(
      config({ tlsCert: pki.serverCertPath, tlsKey: pki.serverKeyPath, apiKeys: ['k'] }),
      store,
      silent,
    );
    try {
      expect(service.url).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
      const ca = await fs.readFile(pki.caPath);
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const request = https.request(
          `${service.url}/predict`,
          { method: 'POST', ca, headers: { 'content-type': 'application/json', authorization: 'Bearer k' } },
          (response) => {
            let body = '';
            response.on('data', (d) => (body += d));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
          },
        );
        request.on('error', reject);
        request.end(JSON.stringify([ROW]));
      });
      expect(answer.status).to.equal(200);
      expect(JSON.parse(answer.body).predictions).to.have.length(1);
      // Plain HTTP on the TLS port gets no answer.
      const plain = await fetch(service.url.replace('https:', 'http:') + '/healthz').catch(() => undefined);
      expect(plain?.status).to.not.equal(200);
    } finally {
      await service.close();
    }
  });

  it('a store unreachable at start-up is named as such, not as "no champion"', async () => {
    const port = await freePort(); // nothing listens there
    const unreachable = openBlobStore('s3://nowhere', {
      endpoint: `http://127.0.0.1:${port}`,
      forcePathStyle: true,
      region: 'us-east-1',
    });
    process.env.AWS_ACCESS_KEY_ID ??= 'test';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
    const service = await startService(config({ pollMs: 60_000 }), unreachable, silent);
    try {
      const ready = await fetch(`${service.url}/readyz`);
      expect(ready.status).to.equal(503);
      const readyBody = (await ready.json()) as { error: string };
      expect(readyBody.error).to.match(/^the artifact store is unreachable \(/);
      const { status, body } = await post(`${service.url}/predict`, [ROW]);
      expect(status).to.equal(503);
      expect(body.error).to.match(/^the artifact store is unreachable/);
      expect(body.error).to.not.match(/train one/);
    } finally {
      await service.close();
    }
  });

  it('npm run serve prints its start-up line at once and stops on SIGINT, flushing the prediction log', async () => {
    const port = await freePort();
    const child = spawn('npm', ['run', '-s', 'serve', '--', '--port', String(port)], {
      cwd: REPO,
      env: {
        ...process.env,
        ARTIFACTS_URI: `file://${dir}/artifacts`,
        MODEL_NAME: MODEL,
        PREDICTION_LOG_ROWS: '100000',
        PREDICTION_LOG_FLUSH_MS: '600000',
        PREDICTION_LOG_SPILL_DIR: path.join(dir, 'spill'),
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    try {
      const deadline = Date.now() + 120_000;
      // The default: one process per CPU, each printing its own line (serve[i/n]); one CPU: a single `serve`.
      const processes = availableParallelism();
      while ((stderr.match(/listening on/g) ?? []).length < processes) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no start-up line: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const name = processes === 1 ? 'serve' : `serve\\[1/${processes}\\]`;
      expect(stderr).to.match(
        new RegExp(`${name}: listening on http://127\\.0\\.0\\.1:${port}, model ${MODEL} version 1`),
      );
      const url = `http://127.0.0.1:${port}`;
      for (let i = 0; i < 10; i++)
        expect((await post(`${url}/predict`, SEED_EXAMPLE_ROWS)).status).to.equal(200);
      // The JSON log on stdout is not held back until 4 KB.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(stdout).to.include('"msg":"prediction service listening"');
      child.kill('SIGINT');
      const [code] = await once(child, 'exit');
      expect(code, stderr).to.equal(0);
      // The node process itself is gone: nothing listens on the port any more.
      const after = await fetch(`${url}/healthz`).catch(() => undefined);
      expect(after).to.equal(undefined);
      const keys = await store.list(predictionLogPrefix(MODEL));
      let rows = 0;
      for (const { key } of keys)
        rows += (await store.get(key)).toString('utf8').split('\n').filter(Boolean).length;
      expect(rows).to.equal(20);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('SERVE_PROCESSES=2 runs two service processes on one port; SIGTERM stops both, each flushing its log', async () => {
    const model = `${MODEL}-two`;
    const logStore = openBlobStore(`file://${dir}/two-processes`);
    await registerSampleChampion(logStore, model, 10);
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [path.join(REPO, 'dist/src/prediction-service.js'), '--port', String(port)],
      {
        env: {
          ...process.env,
          ARTIFACTS_URI: `file://${dir}/two-processes`,
          MODEL_NAME: model,
          SERVE_PROCESSES: '2',
          PREDICTION_LOG_ROWS: '100000',
          PREDICTION_LOG_FLUSH_MS: '600000',
          PREDICTION_LOG_SPILL_DIR: path.join(dir, 'spill-two'),
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    try {
      const deadline = Date.now() + 120_000;
      while ((stderr.match(/listening on/g) ?? []).length < 2) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`not listening: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(stderr).to.include('serve[1/2]: listening on').and.include('serve[2/2]: listening on');
      const url = `http://127.0.0.1:${port}`;
      // A new connection per request: the primary hands connections to the processes in turn.
      for (let i = 0; i < 20; i++)
        expect((await post(`${url}/predict`, SEED_EXAMPLE_ROWS, { connection: 'close' })).status).to.equal(
          200,
        );
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code, stderr).to.equal(0);
      const keys = (await logStore.list(predictionLogPrefix(model))).map((b) => b.key);
      let rows = 0;
      for (const key of keys)
        rows += (await logStore.get(key)).toString('utf8').split('\n').filter(Boolean).length;
      expect(rows).to.equal(40);
      const instances = new Set(keys.map((k) => /-([0-9a-f]{8})-\d{6}\.jsonl$/.exec(k)?.[1]));
      expect(instances.size, keys.join(' ')).to.equal(2);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
