/**
 * Screenshots of the MLflow UI for docs/mlflow.md, taken in Chromium: the experiment's runs (with the nested
 * trial runs) and the registered model's versions with their aliases.
 *
 *   node dist/scripts/mlflow-ui-screenshot.js --mlflow-uri http://127.0.0.1:5000 --model-name traffic-volume-predictor
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { MlflowClient } from '../src/mlflow/mlflow-client';
import { launchBrowser } from '../test/support/browser';

async function main(): Promise<void> {
  const opts = new Command('mlflow-ui-screenshot')
    .requiredOption('--mlflow-uri <url>', 'the MLflow server')
    .option('--model-name <name>', 'experiment and registered model', 'traffic-volume-predictor')
    .option('--out-dir <dir>', 'where the PNGs go', 'docs')
    .parse()
    .opts<{ mlflowUri: string; modelName: string; outDir: string }>();
  const experiment = await new MlflowClient({ trackingUri: opts.mlflowUri }).getExperimentByName(
    opts.modelName,
  );
  if (!experiment) throw new Error(`no experiment "${opts.modelName}" at ${opts.mlflowUri}`);
  mkdirSync(opts.outDir, { recursive: true });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    const shots = [
      { url: `${opts.mlflowUri}/#/experiments/${experiment.experiment_id}/runs`, file: 'mlflow-ui-runs.png' },
      {
        url: `${opts.mlflowUri}/#/models/${encodeURIComponent(opts.modelName)}`,
        file: 'mlflow-ui-model.png',
      },
    ];
    for (const shot of shots) {
      // The UI keeps polling the server, so the network never goes idle: wait for the page, then its data.
      await page.goto(shot.url, { waitUntil: 'load', timeout: 120_000 });
      await page.waitForTimeout(10_000);
      // Best effort, the UI's markup changes between versions: unfold the parent run to show its trials.
      if (shot.file === 'mlflow-ui-runs.png') {
        await page
          .locator('[data-testid="experiment-view-runs-table"] button, .ag-row button')
          .first()
          .click({ timeout: 5000 })
          .then(() => page.waitForTimeout(3000))
          .catch(() => undefined);
      }
      const out = path.join(opts.outDir, shot.file);
      await page.screenshot({ path: out });
      console.log(out);
    }
  } finally {
    await browser.close();
  }
}

main().catch((err: unknown) => {
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
