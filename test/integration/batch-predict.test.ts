import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { runBatchPrediction } from '../../src/cli/batch-prediction-run';
import { openBlobStore } from '../../src/storage/from-uri';
import { SAMPLE_DIR } from '../support/data-dirs';
import { startTestWorkers, testConfig } from '../support/pipeline-harness';
import { registerSampleChampion } from '../support/registered-models';
import { devServerEnv } from '../support/temporal';

const MODEL = 'traffic-batch-test';
const ROWS = 345_000;
const COLUMNS = ['holiday', 'temp', 'rain_1h', 'snow_1h', 'clouds_all', 'weather_main', 'date_time'];

/** A CSV of `count` rows cycling through the sample's 2016 rows (extra columns dropped). */
function bigCsv(count: number): { text: string; period: number } {
  const lines = fs
    .readFileSync(path.join(SAMPLE_DIR, 'Metro_Interstate_Traffic_Volume_2016.csv'), 'utf8')
    .trim()
    .split('\n');
  const header = lines[0].split(',');
  const at = COLUMNS.map((c) => header.indexOf(c));
  const body = lines.slice(1).map((line) => {
    const fields = line.split(',');
    return at.map((i) => fields[i]).join(',');
  });
  const out = [COLUMNS.join(',')];
  for (let i = 0; i < count; i++) out.push(body[i % body.length]);
  return { text: out.join('\n') + '\n', period: body.length };
}

describe('batch scoring through Temporal by reference (real dev server, real worker)', function () {
  this.timeout(600_000);
  let env: TestWorkflowEnvironment;

  before(async () => {
    env = await devServerEnv();
  });
  after(async () => {
    await env?.teardown();
  });

  it('scores a 345,000-row CSV in stored chunks: history holds keys only, predictions in input order', async () => {
    const config = testConfig({});
    const artifacts = openBlobStore(config.artifactsUri);
    await registerSampleChampion(artifacts, MODEL, 30);
    const { text, period } = bigCsv(ROWS);
    const workers = await startTestWorkers(env, config);
    try {
      const client = env.client as unknown as Client;
      const started = Date.now();
      const result = await runBatchPrediction(client, config, {
        modelName: MODEL,
        version: 'champion',
        text,
        chunkRows: 50_000,
        window: 2,
      });
      const seconds = (Date.now() - started) / 1000;
      console.log(
        `      ${ROWS.toLocaleString('en-US')} rows (${(text.length / 1e6).toFixed(1)} MB) scored in ${seconds.toFixed(1)} s`,
      );
      expect(result).to.include({ modelName: MODEL, version: 1, rows: ROWS });
      expect(result.predictions).to.have.length(ROWS);
      // Rows repeat with the period of the source file: so must their predictions, wherever the chunks cut.
      for (const i of [0, 1, 49_999, 50_000, 123_456]) {
        expect(result.predictions[i + period]).to.equal(result.predictions[i]);
      }
      expect(result.predictions.every((p) => p >= 0)).to.equal(true);

      const history = await client.workflow.getHandle(result.workflowId).fetchHistory();
      const scheduled = history.events!.filter((e) => e.activityTaskScheduledEventAttributes);
      expect(scheduled).to.have.length(1 + 7 + 1); // split, 7 chunks of ≤ 50,000, join
      const bytes = JSON.stringify(history).length;
      expect(bytes).to.be.lessThan(64 * 1024);

      // A bad row in the third chunk: the split refuses the whole input, naming the row, before any chunk is scored.
      const lines = bigCsv(150_000).text.split('\n');
      lines[1 + 120_000] = lines[1 + 120_000].replace(/,[^,]*$/, ',2016-13-01 00:00:00');
      const failure = await runBatchPrediction(client, config, {
        modelName: MODEL,
        version: 'champion',
        text: lines.join('\n'),
        chunkRows: 50_000,
      }).then(
        () => undefined,
        (err: unknown) => err,
      );
      const messages: string[] = [];
      for (let e = failure as (Error & { cause?: unknown }) | undefined; e; e = e.cause as typeof e)
        messages.push(e.message);
      expect(messages.join(' | ')).to.match(
        /row 120000, field date_time: invalid date_time "2016-13-01 00:00:00"/,
      );
    } finally {
      workers.shutdown();
      await workers.done;
    }
  });
});
