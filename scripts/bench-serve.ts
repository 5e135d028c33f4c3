/**
 * Benchmark of the prediction service (`npm run bench:serve [-- --json] [--duration 15]`).
 *
 * Trains two versions on the real data (2012–2016, when present; else the sample) with the native engine,
 * registers them in a temporary artifact store, starts `dist/src/serve/main.js` as a child process (request
 * logs and the prediction log on, as in production) and drives it with autocannon from this process (load
 * generator on the same machine): single-row and 100-row requests at 1 and 16 connections, then single-row at
 * 16 connections while the champion moves every 2 s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { SEED_EXAMPLE_ROWS } from '../src/cli/prediction-input';
import { promoteChampion } from '../src/registry/champion';
import { ModelRegistry } from '../src/registry/model-registry';
import { openBlobStore } from '../src/storage/from-uri';
import { REAL_DIR, SAMPLE_DIR } from '../test/support/data-dirs';
import { registerSampleVersions, sampleRows } from '../test/support/registered-models';
import { freePort } from '../test/support/temporal';

const MODEL = 'traffic-volume-predictor';
const TARGETS =
  '≥ 4,000 req/s with p99 ≤ 10 ms single-row at 16 connections; p99 ≤ 2 ms at 1 connection; 0 errors across swaps';

interface Scenario {
  name: string;
  connections: number;
  rowsPerRequest: number;
  swapEveryMs?: number;
}

interface ScenarioResult extends Scenario {
  requestsPerSec: number;
  rowsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
  non2xx: number;
  swaps: number;
}

const SCENARIOS: Scenario[] = [
  { name: 'single row, 1 connection', connections: 1, rowsPerRequest: 1 },
  { name: 'single row, 16 connections', connections: 16, rowsPerRequest: 1 },
  { name: '100 rows, 1 connection', connections: 1, rowsPerRequest: 100 },
  { name: '100 rows, 16 connections', connections: 16, rowsPerRequest: 100 },
  {
    name: 'single row, 16 connections, champion swap every 2 s',
    connections: 16,
    rowsPerRequest: 1,
    swapEveryMs: 2000,
  },
];

function log(message: string): void {
  process.stderr.write(`bench:serve: ${message}\n`);
}

async function waitReady(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`the service exited with code ${child.exitCode}`);
    const ok = await fetch(`${url}/readyz`)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the service did not become ready within 60 s');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { json: { type: 'boolean', default: false }, duration: { type: 'string', default: '15' } },
  });
  const duration = Number(values.duration);
  if (!Number.isFinite(duration) || duration <= 0)
    throw new Error(`--duration must be a positive number of seconds`);
  const real = fs.existsSync(path.join(REAL_DIR, 'Metro_Interstate_Traffic_Volume_2016.csv'));
  const dataDir = real ? REAL_DIR : SAMPLE_DIR;
  const artifacts = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-serve-'));
  const store = openBlobStore(`file://${artifacts}`);
  const registry = new ModelRegistry(store);
  let child: ChildProcess | undefined;
  try {
    log(
      `training two versions on ${real ? 'the real data' : 'the sample'} (2012–2016), 300 and 320 rounds, depth 6`,
    );
    await registerSampleVersions(
      store,
      MODEL,
      [300, 320],
      sampleRows([2012, 2013, 2014, 2015, 2016], dataDir),
    );
    const promote = (version: number) =>
      promoteChampion(registry, { modelName: MODEL, version, by: 'bench', at: new Date().toISOString() });
    await promote(1);

    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    child = spawn(
      process.execPath,
      [path.resolve(__dirname, '../src/serve/main.js'), '--port', String(port)],
      {
        env: {
          ...process.env,
          ARTIFACTS_URI: `file://${artifacts}`,
          MODEL_NAME: MODEL,
          SERVE_POLL_MS: '500',
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    await waitReady(url, child);

    const bodyOf = (rows: number) =>
      JSON.stringify(Array.from({ length: rows }, (_, i) => SEED_EXAMPLE_ROWS[i % SEED_EXAMPLE_ROWS.length]));
    log('warming up (3 s)');
    await autocannon({
      url: `${url}/predict`,
      method: 'POST',
      connections: 4,
      duration: 3,
      headers: { 'content-type': 'application/json' },
      body: bodyOf(1),
    });

    const results: ScenarioResult[] = [];
    for (const scenario of SCENARIOS) {
      log(`${scenario.name} (${duration} s)`);
      let swaps = 0;
      let next = 2;
      const swapper = scenario.swapEveryMs
        ? setInterval(() => {
            const version = next;
            next = next === 1 ? 2 : 1;
            void promote(version).then(() => swaps++);
          }, scenario.swapEveryMs)
        : undefined;
      const result = await autocannon({
        url: `${url}/predict`,
        method: 'POST',
        connections: scenario.connections,
        duration,
        headers: { 'content-type': 'application/json' },
        body: bodyOf(scenario.rowsPerRequest),
      });
      if (swapper) clearInterval(swapper);
      results.push({
        ...scenario,
        requestsPerSec: Math.round(result.requests.average),
        rowsPerSec: Math.round(result.requests.average * scenario.rowsPerRequest),
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        requests: result.requests.total,
        errors: result.errors + result.timeouts,
        non2xx: result.non2xx,
        swaps,
      });
    }
    const report = {
      command: `npm run bench:serve -- ${process.argv.slice(2).join(' ')}`.trim(),
      data: real ? 'real (2012–2016)' : 'sample',
      durationSeconds: duration,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100),
      targets: TARGETS,
      results,
    };
    if (values.json) {
      process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      return;
    }
    console.log(`| scenario | req/s | rows/s | p50 ms | p99 ms | errors (incl. non-2xx) | swaps |`);
    console.log(`| --- | ---: | ---: | ---: | ---: | ---: | ---: |`);
    for (const r of results) {
      console.log(
        `| ${r.name} | ${r.requestsPerSec.toLocaleString('en-US')} | ${r.rowsPerSec.toLocaleString('en-US')} | ${r.p50Ms} | ${r.p99Ms} | ${r.errors + r.non2xx} | ${r.swaps} |`,
      );
    }
    console.log(
      `\n${report.data} data, ${duration} s per row, ${report.cpus} CPUs, load average at the end ${report.loadAverageAtEnd.join(' ')}`,
    );
    console.log(`targets: ${TARGETS}`);
  } finally {
    child?.kill('SIGTERM');
    if (child && child.exitCode === null) await new Promise((resolve) => child!.once('exit', resolve));
    fs.rmSync(artifacts, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`bench:serve: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
