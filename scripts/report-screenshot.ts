/**
 * Builds a run report from the committed sample data (a real training run of the activities, without a
 * Temporal server) and saves it with a full-page PNG screenshot taken in Chromium:
 * `npm run report:screenshot [-- --out docs/run-report.png --html .test-output/run-report.html]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { runSampleTraining } from '../test/support/sample-run-report';
import { saveReportScreenshot } from '../test/support/report-page';

async function main(): Promise<void> {
  const opts = new Command('report-screenshot')
    .option('--out <png>', 'screenshot path', 'docs/run-report.png')
    .option('--html <file>', 'where to keep the HTML report', '.test-output/run-report.html')
    .option('--trials <n>', 'trials of the sample run', '16')
    .parse()
    .opts<{ out: string; html: string; trials: string }>();
  const artifacts = mkdtempSync(path.join(os.tmpdir(), 'report-screenshot-'));
  try {
    const report = await runSampleTraining({
      dataUri: 'file://data/sample',
      artifactsUri: `file://${artifacts}`,
      years: [2012, 2013, 2014, 2015, 2016],
      validationYear: 2016,
      trials: Number(opts.trials),
      runId: 'sample-run',
    });
    await saveReportScreenshot(report.html, opts.html, opts.out);
    console.log(`report ${opts.html}, screenshot ${opts.out}`);
  } finally {
    rmSync(artifacts, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
