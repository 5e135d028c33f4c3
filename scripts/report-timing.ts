/**
 * Times the run report on the real data: a short training run of the real activities (no server) on
 * 2012–2016 with 2016 as validation, then the SHAP values of the report's sample of validation rows and the whole
 * report build.
 * `npm run report:timing [-- --data-dir DIR --trials N --json]`; the data: --data-dir, else $DATA_DIR, else
 * ../shared/data/metro-traffic/by-year beside the repository, else the committed sample (said on stderr).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { REAL_DIR, SAMPLE_DIR } from '../test/support/data-dirs';
import { runSampleTraining } from '../test/support/sample-run-report';

async function main(): Promise<void> {
  const opts = new Command('report-timing')
    .option(
      '--data-dir <dir>',
      'folder with Metro_Interstate_Traffic_Volume_{year}.csv',
      existsSync(REAL_DIR) ? REAL_DIR : SAMPLE_DIR,
    )
    .option('--trials <n>', 'trials of the training run', '4')
    .option('--json', 'print machine-readable JSON')
    .parse()
    .opts<{ dataDir: string; trials: string; json?: boolean }>();
  if (path.resolve(opts.dataDir) === SAMPLE_DIR)
    console.error(`report:timing: no real data at ${REAL_DIR}: timing the sample`);
  const artifacts = mkdtempSync(path.join(os.tmpdir(), 'report-timing-'));
  try {
    const report = await runSampleTraining({
      dataUri: `file://${path.resolve(opts.dataDir)}`,
      artifactsUri: `file://${artifacts}`,
      years: [2012, 2013, 2014, 2015, 2016],
      validationYear: 2016,
      trials: Number(opts.trials),
      runId: 'timing-run',
    });
    const numbers = {
      validationRows: report.validationRows,
      shapRows: report.shapRows,
      shapMs: Math.round(report.shapMs ?? Number.NaN),
      reportBuildMs: Math.round(report.buildMs),
      reportBytes: Buffer.byteLength(report.html),
    };
    if (opts.json) console.log(JSON.stringify(numbers));
    else
      console.log(
        `SHAP for ${numbers.shapRows} of ${numbers.validationRows} validation rows: ${numbers.shapMs} ms; report build (read, score, SHAP, render): ${numbers.reportBuildMs} ms; ${(numbers.reportBytes / 1024).toFixed(0)} KiB`,
      );
  } finally {
    rmSync(artifacts, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
