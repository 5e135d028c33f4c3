/**
 * Benchmark of the prediction service (`npm run bench:serve [-- --json] [--duration 10] [--processes 2]`;
 * `--processes` is the service's SERVE_PROCESSES), in one invocation
 * against two references on the same machine:
 * - the service: `dist/src/prediction-service.js` as a child process, request logs and the prediction log on, as in
 *   production; two versions trained on the real data (2012–2016, when present; else the sample);
 * - the seed-style anchor: Flask under gunicorn (2 sync workers) in the benchmark venv
 *   (scripts/bench/flask_anchor.py), scoring with xgboost the same model and pipeline files the seed's way;
 * - the stack's limit: a bare fastify route that parses the same body and answers a constant
 *   (scripts/bench/constant-server.ts).
 * autocannon drives the two node servers from this process (keep-alive connections); the anchor, whose sync
 * workers close every connection, is driven with a new connection per request (scripts/bench/
 * connection-per-request-load.ts says why autocannon cannot drive it). Single row at 1 and 16 connections,
 * 100 rows at 16 connections; the service also at 16 connections while the champion moves every 2 s.
 * A ratio is printed only between two rows without errors; otherwise the benchmark says which side failed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { SEED_EXAMPLE_ROWS } from '../src/data/prediction-input';
import { promoteChampion } from '../src/registry/champion';
import { ModelRegistry } from '../src/registry/model-registry';
import { openBlobStore } from '../src/storage/from-uri';
import { REAL_DIR, SAMPLE_DIR } from '../test/support/data-dirs';
import { PIPELINE_REF, registerSampleVersions, sampleRows } from '../test/support/registered-models';
import { freePort } from '../test/support/temporal';
import { connectionPerRequestLoad, type LoadResult } from './bench/connection-per-request-load';
import { ensureBenchVenv } from './bench/python-venv';
import { ratioOrRefusal, type RatioOrRefusal } from './bench/serve-ratio';

const MODEL = 'traffic-volume-predictor';
const ROOT = path.resolve(__dirname, '../..');
const TARGETS =
  "single row at 16 connections: ≥ 10× the Flask anchor's req/s, p99 ≤ 5 ms, ≥ 0.3× the bare fastify route's req/s; " +
  '1 connection: p99 ≤ 1 ms; 0 errors across swaps';

type Target = 'service' | 'flask anchor' | 'bare fastify';
/** How a target is driven: autocannon over keep-alive connections, or a new connection for every request. */
type Load = 'keep-alive' | 'connection per request';

interface Scenario {
  name: string;
  connections: number;
  rowsPerRequest: number;
  swapEveryMs?: number;
  /** Only for the service. */
  serviceOnly?: boolean;
}

interface ScenarioResult extends Scenario {
  target: Target;
  load: Load;
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
  { name: '100 rows, 16 connections', connections: 16, rowsPerRequest: 100 },
  {
    name: 'single row, 16 connections, champion swap every 2 s',
    connections: 16,
    rowsPerRequest: 1,
    swapEveryMs: 2000,
    serviceOnly: true,
  },
];

function log(message: string): void {
  process.stderr.write(`bench:serve: ${message}\n`);
}

/** Until `probe` answers 200 (a POST of `body` when given). */
async function waitReady(probe: string, child: ChildProcess, body?: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`${probe}: the server exited with code ${child.exitCode}`);
    const init = body
      ? { method: 'POST', headers: { 'content-type': 'application/json' }, body }
      : { method: 'GET' };
    const ok = await fetch(probe, init)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${probe} did not become ready within 60 s`);
}

/** Drives `url`'s POST /predict with `body` the way `load` says. */
async function drive(
  load: Load,
  options: { url: string; connections: number; duration: number; body: string },
): Promise<LoadResult> {
  const headers = { 'content-type': 'application/json' };
  if (load === 'connection per request')
    return connectionPerRequestLoad({ ...options, durationSeconds: options.duration, headers });
  const result = await autocannon({ ...options, method: 'POST', headers });
  return {
    requestsPerSec: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      duration: { type: 'string', default: '10' },
      processes: { type: 'string', default: 'auto' },
    },
  });
  const duration = Number(values.duration);
  if (!Number.isFinite(duration) || duration <= 0)
    throw new Error(`--duration must be a positive number of seconds`);
  const real = fs.existsSync(path.join(REAL_DIR, 'Metro_Interstate_Traffic_Volume_2016.csv'));
  const dataDir = real ? REAL_DIR : SAMPLE_DIR;
  const artifacts = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-serve-'));
  const store = openBlobStore(`file://${artifacts}`);
  const registry = new ModelRegistry(store);
  const children: ChildProcess[] = [];
  try {
    const venv = ensureBenchVenv(ROOT);
    if ('error' in venv) throw new Error(`the Flask anchor needs the benchmark venv: ${venv.error}`);
    log(
      `training two versions on ${real ? 'the real data' : 'the sample'} (2012–2016), 300 and 320 rounds, depth 6`,
    );
    const [first] = await registerSampleVersions(
      store,
      MODEL,
      [300, 320],
      sampleRows([2012, 2013, 2014, 2015, 2016], dataDir),
    );
    const promote = (version: number) =>
      promoteChampion(registry, { modelName: MODEL, version, by: 'bench', at: new Date().toISOString() });
    await promote(1);
    const modelFile = path.join(artifacts, 'anchor-model.json');
    const pipelineFile = path.join(artifacts, 'anchor-pipeline.json');
    fs.writeFileSync(modelFile, await store.get(first.modelRef));
    fs.writeFileSync(pipelineFile, await store.get(PIPELINE_REF));

    const bodyOf = (rows: number) =>
      JSON.stringify(Array.from({ length: rows }, (_, i) => SEED_EXAMPLE_ROWS[i % SEED_EXAMPLE_ROWS.length]));
    const quiet: { stdio: ['ignore', 'ignore', 'inherit'] } = { stdio: ['ignore', 'ignore', 'inherit'] };
    const targets: Array<{
      target: Target;
      load: Load;
      start: (port: number) => ChildProcess;
      probe: (url: string) => string;
    }> = [
      {
        target: 'service',
        load: 'keep-alive',
        start: (port) =>
          spawn(
            process.execPath,
            [path.resolve(__dirname, '../src/prediction-service.js'), '--port', String(port)],
            {
              ...quiet,
              env: {
                ...process.env,
                ARTIFACTS_URI: `file://${artifacts}`,
                MODEL_NAME: MODEL,
                SERVE_POLL_MS: '500',
                SERVE_PROCESSES: values.processes,
                PREDICTION_LOG_SPILL_DIR: path.join(artifacts, 'spill'),
              },
            },
          ),
        probe: (url) => `${url}/readyz`,
      },
      {
        target: 'flask anchor',
        load: 'connection per request',
        start: (port) =>
          spawn(
            path.join(path.dirname(venv.python), 'gunicorn'),
            [
              '--workers',
              '2',
              '--bind',
              `127.0.0.1:${port}`,
              '--chdir',
              path.join(ROOT, 'scripts', 'bench'),
              '--log-level',
              'warning',
              `flask_anchor:create_app(${JSON.stringify(modelFile)}, ${JSON.stringify(pipelineFile)})`,
            ],
            quiet,
          ),
        probe: (url) => `${url}/predict`,
      },
      {
        target: 'bare fastify',
        load: 'keep-alive',
        start: (port) =>
          spawn(process.execPath, [path.resolve(__dirname, 'bench/constant-server.js'), String(port)], quiet),
        probe: (url) => `${url}/predict`,
      },
    ];

    const results: ScenarioResult[] = [];
    const loadAverageAtStart = os.loadavg().map((l) => Math.round(l * 100) / 100);
    /** Each target's predictions for the same 100 rows: the anchor must answer the service's question. */
    const answers = new Map<Target, number[]>();
    for (const { target, load, start, probe } of targets) {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const child = start(port);
      children.push(child);
      const readiness = probe(url);
      await waitReady(readiness, child, readiness.endsWith('/predict') ? bodyOf(1) : undefined);
      const answer = await fetch(`${url}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: bodyOf(100),
      });
      const answered = (await answer.json()) as { predictions?: number[] };
      if (!answer.ok || !Array.isArray(answered.predictions))
        throw new Error(`${target}: 100 rows got ${answer.status} ${JSON.stringify(answered).slice(0, 200)}`);
      answers.set(target, answered.predictions);
      log(`${target}: warming up (3 s)`);
      await drive(load, { url: `${url}/predict`, connections: 4, duration: 3, body: bodyOf(1) });
      for (const scenario of SCENARIOS) {
        if (scenario.serviceOnly && target !== 'service') continue;
        log(`${target}: ${scenario.name} (${duration} s)`);
        let swaps = 0;
        let next = 2;
        const swapper = scenario.swapEveryMs
          ? setInterval(() => {
              const version = next;
              next = next === 1 ? 2 : 1;
              void promote(version).then(() => swaps++);
            }, scenario.swapEveryMs)
          : undefined;
        const result = await drive(load, {
          url: `${url}/predict`,
          connections: scenario.connections,
          duration,
          body: bodyOf(scenario.rowsPerRequest),
        });
        if (swapper) clearInterval(swapper);
        results.push({
          ...scenario,
          target,
          load,
          requestsPerSec: Math.round(result.requestsPerSec),
          rowsPerSec: Math.round(result.requestsPerSec * scenario.rowsPerRequest),
          p50Ms: result.p50Ms,
          p99Ms: result.p99Ms,
          requests: result.requests,
          errors: result.errors,
          non2xx: result.non2xx,
          swaps,
        });
      }
      await stop(child);
    }
    const find = (target: Target) =>
      results.find((r) => r.target === target && r.name === 'single row, 16 connections');
    const service = find('service');
    const anchor = find('flask anchor');
    const bare = find('bare fastify');
    const ratios = {
      serviceOverFlask: ratioOrRefusal(service, anchor),
      serviceOverBareFastify: ratioOrRefusal(service, bare),
    };
    const servicePredictions = answers.get('service') ?? [];
    const anchorPredictions = answers.get('flask anchor') ?? [];
    const anchorLargestDifference =
      servicePredictions.length === anchorPredictions.length && servicePredictions.length > 0
        ? round2(Math.max(...servicePredictions.map((p, i) => Math.abs(p - anchorPredictions[i]))))
        : null;
    const report = {
      command: `npm run bench:serve -- ${process.argv.slice(2).join(' ')}`.trim(),
      data: real ? 'real (2012–2016)' : 'sample',
      durationSeconds: duration,
      serviceProcesses: values.processes,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      loadAverageAtStart,
      loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100),
      anchorLargestDifferenceFromService100Rows: anchorLargestDifference,
      targets: TARGETS,
      ratiosSingleRow16Connections: ratios,
      results,
    };
    if (values.json) {
      process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      return;
    }
    console.log(
      `| server | load | scenario | req/s | rows/s | p50 ms | p99 ms | errors (incl. non-2xx) | swaps |`,
    );
    console.log(`| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |`);
    for (const r of results) {
      console.log(
        `| ${r.target} | ${r.load} | ${r.name} | ${r.requestsPerSec.toLocaleString('en-US')} | ${r.rowsPerSec.toLocaleString('en-US')} | ${r.p50Ms} | ${r.p99Ms} | ${r.errors + r.non2xx} | ${r.swaps} |`,
      );
    }
    const shown = (r: RatioOrRefusal) => ('ratio' in r ? `${r.ratio}×` : `not given (${r.refused})`);
    console.log(`\nsingle row, 16 connections: service / Flask anchor ${shown(ratios.serviceOverFlask)}`);
    console.log(`single row, 16 connections: service / bare fastify ${shown(ratios.serviceOverBareFastify)}`);
    console.log(
      `largest difference between the anchor's and the service's predictions for the same 100 rows: ${anchorLargestDifference}`,
    );
    console.log(
      `${report.data} data, ${duration} s per row, ${report.cpus} CPUs, load average ${loadAverageAtStart.join(' ')} at the start, ${report.loadAverageAtEnd.join(' ')} at the end`,
    );
    console.log(`targets: ${TARGETS}`);
  } finally {
    for (const child of children) await stop(child);
    fs.rmSync(artifacts, { recursive: true, force: true });
  }
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

main().catch((err: unknown) => {
  console.error(`bench:serve: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
