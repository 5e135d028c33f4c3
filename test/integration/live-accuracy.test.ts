/** Issue 16 part 6: the retraining check's live accuracy on real S3 (moto), from the service's own log writer. */
import fs from 'node:fs';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { expect } from 'chai';
import pino from 'pino';
import { measureLiveAccuracyWith } from '../../src/activities/live-accuracy';
import { showVersion } from '../../src/cli/champion-commands';
import { WorkerMetrics } from '../../src/metrics/worker-metrics';
import { parseTrafficCsv } from '../../src/data/traffic-csv';
import { ModelRegistry } from '../../src/registry/model-registry';
import { PredictionLog } from '../../src/serve/prediction-log';
import type { BlobStore } from '../../src/storage/blob-store';
import { openBlobStore } from '../../src/storage/from-uri';
import { SAMPLE_DIR } from '../support/pipeline-harness';
import { parsePromText } from '../support/prometheus-text';
import { registerSampleVersions, sampleRows } from '../support/registered-models';
import { startS3ForTests, type TestS3 } from '../support/s3-server';
import type { LiveAccuracySummary, MeasureLiveAccuracyInput } from '../../src/contracts';

const FILE = 'Metro_Interstate_Traffic_Volume_2016.csv';

describe('live accuracy of what was served, on real S3', function () {
  this.timeout(120_000);
  let s3: TestS3;
  let artifacts: BlobStore;
  let dataUri: string;
  before(async () => {
    s3 = await startS3ForTests();
    artifacts = openBlobStore(s3.uri('live-artifacts'), s3.options);
    dataUri = s3.uri('live-data');
    await openBlobStore(dataUri, s3.options).put(FILE, fs.readFileSync(path.join(SAMPLE_DIR, FILE)));
  });
  after(async () => {
    await s3?.stop();
  });

  it('joins the logged predictions with the new labelled rows per version: check result, models show, metrics', async () => {
    await registerSampleVersions(artifacts, 'live', [2, 3], sampleRows([2015]));
    const text = fs.readFileSync(path.join(SAMPLE_DIR, FILE), 'utf8');
    const rows = parseTrafficCsv({ text, file: FILE }).rows;
    // One row per hour (the sample may list an hour twice), the first 48 hours.
    const byHour = new Map(rows.map((r) => [r.date_time.text, r]));
    const hours = [...byHour.values()].slice(0, 48);
    const day1 = hours.slice(0, 24);
    const day2 = hours.slice(24);
    const log = new PredictionLog({
      store: artifacts,
      maxRows: 10_000,
      flushMs: 60_000,
      log: pino({ level: 'silent' }),
    });
    const at = (d: string) => ({ requestId: d, at: `2026-05-0${d}T10:00:00.000Z` });
    log.append(
      { model: 'live', version: 1, ...at('1') },
      day1,
      day1.map((r) => r.traffic_volume! + 10),
    );
    log.append(
      { model: 'live', version: 2, ...at('1') },
      day2,
      day2.map((r) => r.traffic_volume! + 99),
    );
    // Day 2 asked again a day later: the later answer counts.
    log.append(
      { model: 'live', version: 2, ...at('2') },
      day2,
      day2.map((r) => r.traffic_volume! - 20),
    );
    const future = {
      ...day1[0],
      date_time: { ...day1[0].date_time, year: 2030, text: '2030-01-01 00:00:00' },
    };
    log.append({ model: 'live', version: 2, ...at('2') }, [future], [5]);
    await log.flush();
    await artifacts.put('predictions/live/2026-05-02/zz-broken.jsonl', '{"date_time": "nope"}\n');

    const metrics = new WorkerMetrics();
    const deps = { artifacts, openDataStore: (uri: string) => openBlobStore(uri, s3.options), metrics };
    const result: LiveAccuracySummary = await new MockActivityEnvironment().run(
      (i: MeasureLiveAccuracyInput) => measureLiveAccuracyWith(deps, i),
      { dataUri, keys: [FILE], modelName: 'live', checkId: 'check-1' },
    );
    expect(result).to.include({
      matched: 48,
      unmatched: 1,
      duplicates: 24,
      ambiguousLabels: 0,
      badLogLines: 1,
    });
    expect(result.labelledRows).to.equal(rows.length);
    expect(result.byVersion.map((v) => ({ ...v, rmse: Math.round(v.rmse * 1e6) / 1e6 }))).to.deep.equal([
      { version: 1, rows: 24, rmse: 10, mae: 10, from: day1[0].date_time.text, to: day1[23].date_time.text },
      { version: 2, rows: 24, rmse: 20, mae: 20, from: day2[0].date_time.text, to: day2[23].date_time.text },
    ]);

    const shown = (await showVersion(new ModelRegistry(artifacts), 'live', '2', artifacts)) as {
      liveAccuracy?: Record<string, unknown>;
    };
    expect(shown.liveAccuracy).to.include({ version: 2, rows: 24, mae: 20, checkId: 'check-1' });
    expect(shown.liveAccuracy?.dataKeys).to.deep.equal([FILE]);

    const prom = parsePromText(await metrics.registry.metrics());
    const sample = (name: string, version: string) =>
      prom.find(
        (s) => s.name === `traffic_ml_${name}` && s.labels.model === 'live' && s.labels.version === version,
      )?.value;
    expect(sample('live_rmse', '1')).to.be.closeTo(10, 1e-9);
    expect(sample('live_mae', '2')).to.be.closeTo(20, 1e-9);
    expect(sample('live_matched_rows', '2')).to.equal(24);
  });
});
