/**
 * A monitoring history on real data and its report: trains a small champion (the run-report sample run, without
 * a Temporal server) on 2012 with 2013 as validation, computes the daily records of 2013–2016 month by month
 * with the backfill's activity, renders `client monitor report` and saves a full-page PNG taken in Chromium:
 * `npm run monitor:screenshot -- --data file:///path/to/by-year [--out docs/monitoring-report.png]`.
 * 2013 is the champion's validation year: its re-scored accuracy there is in-sample and left out of the chart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Command } from 'commander';
import { createActivities } from '../src/activities';
import { runSampleTraining } from '../test/support/sample-run-report';
import { createTrialPool } from '../src/engines/trial-pool';
import { readMonitoringRecords } from '../src/monitoring/record-reader';
import { ModelRegistry } from '../src/registry/model-registry';
import { renderMonitorReport } from '../src/report/render-monitor-report';
import { openBlobStore } from '../src/storage/from-uri';
import { monthsOfDays } from '../src/workflows/monitor-backfill';
import { saveReportScreenshot } from '../test/support/report-page';

const MODEL = 'traffic-volume-predictor';

async function main(): Promise<void> {
  const opts = new Command('monitor-screenshot')
    .requiredOption('--data <uri>', 'where Metro_Interstate_Traffic_Volume_{year}.csv are (2012–2016)')
    .option('--out <png>', 'screenshot path', 'docs/monitoring-report.png')
    .option('--html <file>', 'where to keep the HTML report', '.test-output/monitoring-report.html')
    .option('--from <day>', 'first day', '2013-01-01')
    .option('--to <day>', 'last day', '2016-12-31')
    .parse()
    .opts<{ data: string; out: string; html: string; from: string; to: string }>();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'monitor-screenshot-'));
  const artifactsUri = `file://${dir}`;
  const pool = createTrialPool({ threads: 1 });
  try {
    await runSampleTraining({
      dataUri: opts.data,
      artifactsUri,
      years: [2012, 2013],
      validationYear: 2013,
      trials: 4,
    });
    const artifacts = openBlobStore(artifactsUri, {});
    const registry = new ModelRegistry(artifacts);
    const activities = createActivities({
      artifacts,
      registry,
      openDataStore: (uri) => openBlobStore(uri, {}),
      pool,
      monitoring: {},
    });
    const env = new MockActivityEnvironment();
    for (const days of monthsOfDays(opts.from, opts.to)) {
      await env.run(activities.monitorDays, {
        modelName: MODEL,
        dataUri: opts.data,
        filePrefix: 'Metro_Interstate_Traffic_Volume',
        days,
        alertOnRecords: false,
      });
      process.stderr.write(`${days[0].slice(0, 7)} `);
    }
    const records = await readMonitoringRecords(artifacts, MODEL, { from: opts.from, to: opts.to });
    const html = await renderMonitorReport({
      modelName: MODEL,
      records,
      generatedAt: new Date().toISOString(),
    });
    await saveReportScreenshot(html, opts.html, opts.out);
    console.log(`\n${records.length} records, report ${opts.html}, screenshot ${opts.out}`);
  } finally {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
