/**
 * Where one prediction request's time goes (`npm run profile:serve [-- --json] [--rows 1] [--repeat 5000]`):
 * each stage of the /predict path run alone, `repeat` times, on a model like the benchmark's (300 rounds,
 * depth 6, the real data 2012–2016 when present, else the sample), then the whole request through fastify
 * (inject, no socket) and over loopback HTTP. Microseconds per request, mean over the repeats.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { SEED_EXAMPLE_ROWS } from '../src/data/prediction-input';
import { loadNativeEngine } from '../src/engines/native-engine';
import { transformWithPipeline, validateAnyFeaturePipeline } from '../src/features/feature-pipeline';
import { TreeEnsemble } from '../src/engines/tree-ensemble';
import { promoteChampion } from '../src/registry/champion';
import { ModelRegistry } from '../src/registry/model-registry';
import { rowsFromBody } from '../src/serve/body-rows';
import { ServiceMetrics } from '../src/serve/metrics';
import { PredictionLog } from '../src/serve/prediction-log';
import { validateRequestRows } from '../src/serve/request-validation';
import { startService } from '../src/serve/service';
import { openBlobStore } from '../src/storage/from-uri';
import { REAL_DIR, SAMPLE_DIR } from '../test/support/data-dirs';
import { PIPELINE_REF, registerSampleVersions, sampleRows } from '../test/support/registered-models';

const MODEL = 'traffic-volume-predictor';

async function time(repeat: number, run: () => unknown): Promise<number> {
  for (let i = 0; i < Math.min(500, repeat); i++) await run(); // warm up (JIT)
  const start = process.hrtime.bigint();
  for (let i = 0; i < repeat; i++) await run();
  return Number(process.hrtime.bigint() - start) / 1e3 / repeat;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      rows: { type: 'string', default: '1' },
      repeat: { type: 'string', default: '5000' },
    },
  });
  const rowsPerRequest = Number(values.rows);
  const repeat = Number(values.repeat);
  if (!Number.isInteger(rowsPerRequest) || rowsPerRequest < 1)
    throw new Error('--rows must be a positive integer');
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error('--repeat must be a positive integer');
  const real = fs.existsSync(path.join(REAL_DIR, 'Metro_Interstate_Traffic_Volume_2016.csv'));
  const artifacts = fs.mkdtempSync(path.join(os.tmpdir(), 'profile-serve-'));
  const store = openBlobStore(`file://${artifacts}`);
  try {
    process.stderr.write(
      `profile:serve: training a 300-round model on ${real ? 'the real data' : 'the sample'}\n`,
    );
    const [version] = await registerSampleVersions(
      store,
      MODEL,
      [300],
      sampleRows([2012, 2013, 2014, 2015, 2016], real ? REAL_DIR : SAMPLE_DIR),
    );
    await promoteChampion(new ModelRegistry(store), {
      modelName: MODEL,
      version: 1,
      by: 'profile',
      at: new Date().toISOString(),
    });
    const pipeline = validateAnyFeaturePipeline(JSON.parse((await store.get(PIPELINE_REF)).toString('utf8')));
    const modelBytes = await store.get(version.modelRef);
    const trees = TreeEnsemble.fromJson(modelBytes);
    const booster = loadNativeEngine().load(modelBytes);
    const body = JSON.stringify(
      Array.from({ length: rowsPerRequest }, (_, i) => SEED_EXAMPLE_ROWS[i % SEED_EXAMPLE_ROWS.length]),
    );
    const objects = await rowsFromBody(body, 'application/json');
    const { rows } = validateRequestRows(objects, pipeline);
    const x = transformWithPipeline(pipeline, rows).matrix;
    const predictions = Array.from(trees.predict(x));
    const metrics = new ServiceMetrics();
    const silent = pino({ level: 'silent' });
    const log = new PredictionLog({ store, maxRows: 1e9, flushMs: 1e9, bufferRows: 1e9, log: silent });
    const logLine = pino({ level: 'info' }, fs.createWriteStream('/dev/null'));
    const labels = { route: '/predict', method: 'POST', status: '200' };

    const stages: Array<{ stage: string; microseconds: number }> = [];
    const add = async (stage: string, run: () => unknown) =>
      stages.push({ stage, microseconds: Math.round((await time(repeat, run)) * 10) / 10 });
    await add('body → row objects (JSON.parse, shape checks)', () => rowsFromBody(body, 'application/json'));
    await add('validation (types, ranges, categories)', () => validateRequestRows(objects, pipeline));
    await add('features (stored pipeline → float32 matrix)', () => transformWithPipeline(pipeline, rows));
    await add('trees in JavaScript (300 rounds)', () => trees.predict(x));
    await add('trees in the native library (for comparison)', () => booster.predict(x));
    await add('round and clamp', () => predictions.map((p) => (p > 0 ? Math.round(p * 100) / 100 : 0)));
    await add('prediction log append', () =>
      log.append(
        { model: MODEL, version: 1, requestId: 'r1', at: new Date().toISOString() },
        rows,
        predictions,
      ),
    );
    await add('metrics (counters and histogram)', () => {
      metrics.requests.inc(labels);
      metrics.latency.observe(labels, 0.001);
      metrics.rowsPredicted.inc({ version: 1 }, rows.length);
    });
    await add('request log line (pino)', () =>
      logLine.info({ method: 'POST', url: '/predict', status: 200, ms: 1 }, 'request'),
    );
    await add('answer → JSON', () => JSON.stringify({ model: MODEL, version: 1, predictions }));

    const service = await startService(
      {
        host: '127.0.0.1',
        port: 0,
        modelName: MODEL,
        bodyLimit: 1024 * 1024,
        pollMs: 60_000,
        predictionLog: true,
        logFlushRows: 5000,
        logFlushMs: 10_000,
        logLevel: 'info',
        logSpillDir: path.join(artifacts, 'spill'),
      },
      store,
      pino({ level: 'info' }, fs.createWriteStream('/dev/null')),
    );
    try {
      const inject = {
        method: 'POST' as const,
        url: '/predict',
        headers: { 'content-type': 'application/json' },
        payload: body,
      };
      await add('whole request through fastify (inject, no socket)', () => service.app.inject(inject));
      await add('whole request over loopback HTTP (fetch, one connection)', async () => {
        const response = await fetch(`${service.url}/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        await response.arrayBuffer();
      });
    } finally {
      booster.free();
      await service.close();
    }
    if (values.json) {
      process.stdout.write(
        JSON.stringify({ rowsPerRequest, repeat, data: real ? 'real' : 'sample', stages }, null, 2) + '\n',
      );
      return;
    }
    console.log(
      `| stage (${rowsPerRequest} row${rowsPerRequest > 1 ? 's' : ''} per request) | µs per request |`,
    );
    console.log('| --- | ---: |');
    for (const s of stages) console.log(`| ${s.stage} | ${s.microseconds} |`);
    console.log(
      `\nmean of ${repeat} runs each; load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    fs.rmSync(artifacts, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`profile:serve: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
