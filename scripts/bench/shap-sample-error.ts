/**
 * How far the run report's SHAP summary on a sample of validation rows is from the one on every row: a short
 * training of the real activities (no server) on 2012–2016, validation 2016, its top 5 trials refitted into an
 * ensemble as the default training does, all validation rows explained once, then the mean |SHAP| per input of
 * evenly spread samples (src/evaluation/shap-sample.ts; each sampled row's values are the all-rows ones)
 * against all rows. See docs/run-reports.md.
 *
 *   npm run bench:shap-sample [-- --json] [--seed 42] [--trials 8] [--sizes 100,200,500,1000,2000]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities';
import { collectRunReport } from '../../src/activities/run-report';
import { meanAbsoluteContributions, type Explanation } from '../../src/engines/explain';
import { createTrialPool } from '../../src/engines/trial-pool';
import { shapSampleRows } from '../../src/evaluation/shap-sample';
import { ModelRegistry } from '../../src/registry/model-registry';
import { openBlobStore } from '../../src/storage/from-uri';
import type { FinalizeModelInput, TrialResult } from '../../src/contracts';
import { runSampleTraining } from '../../test/support/sample-run-report';
import { locateData } from './data';
import { progress, round } from './stats';

const PROJECT_ROOT = path.resolve(__dirname, '../../..');
const TOP_INPUTS = 5;

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    seed: { type: 'string', default: '42' },
    trials: { type: 'string', default: '8' },
    ensemble: { type: 'string', default: '5' },
    sizes: { type: 'string', default: '100,200,500,1000,2000' },
  },
});

/** The explanation of the `rows` rows of `e`. */
function subset(e: Explanation, rows: number[]): Explanation {
  const k = e.columns.length;
  const contributions = new Float64Array(rows.length * k);
  rows.forEach((r, i) => contributions.set(e.contributions.subarray(r * k, (r + 1) * k), i * k));
  return { ...e, rows: rows.length, contributions };
}

async function main(): Promise<void> {
  const source = locateData(PROJECT_ROOT);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shap-sample-'));
  const pool = createTrialPool();
  try {
    progress(`training ${values.trials} trials on ${source.dir} (2012–2016)`);
    const sample = await runSampleTraining({
      dataUri: `file://${source.dir}`,
      artifactsUri: `file://${dir}`,
      years: [2012, 2013, 2014, 2015, 2016],
      validationYear: 2016,
      trials: Number(values.trials),
      seed: Number(values.seed),
      runId: 'shap-sample',
    });
    const artifacts = openBlobStore(`file://${dir}`, {});
    const activities = createActivities({
      artifacts,
      registry: new ModelRegistry(artifacts),
      openDataStore: (uri) => openBlobStore(uri, {}),
      pool,
    });
    const { result } = sample.reportInput;
    const input: FinalizeModelInput = {
      datasetRef: result.dataset.datasetRef,
      datasetHash: result.dataset.datasetHash,
      trials: (result.search?.leaderboard ?? []).slice(0, Number(values.ensemble)),
      refit: true,
      engine: 'native',
    };
    progress(`refitting the top ${input.trials.length} into an ensemble`);
    result.finalModel = (await new MockActivityEnvironment().run(
      activities.finalizeModel,
      input,
    )) as TrialResult;
    progress('SHAP values of every validation row');
    const data = await collectRunReport(
      {
        artifacts,
        openDataStore: (uri) => openBlobStore(uri, {}),
        pool,
        shapSampleRows: Number.POSITIVE_INFINITY,
      },
      { ...sample.reportInput, result, namespace: 'default', now: new Date() },
    );
    const e = data.validation?.explanation;
    if (!e) throw new Error('the report has no SHAP values (is the native engine installed?)');
    const all = meanAbsoluteContributions(e);
    const top = all.slice(0, TOP_INPUTS);
    const samples = values.sizes.split(',').map((size) => {
      const part = meanAbsoluteContributions(subset(e, shapSampleRows(e.rows, Number(size))));
      const value = new Map(part.map((p) => [p.column, p.value]));
      const errors = top.map((t) => Math.abs((value.get(t.column) ?? 0) - t.value) / t.value);
      return {
        rows: Number(size),
        top_inputs_same_order: top.every((t, i) => part[i]?.column === t.column),
        max_relative_error_top_inputs: round(Math.max(...errors), 4),
        relative_errors_top_inputs: errors.map((x) => round(x, 4)),
      };
    });
    const report = {
      data: `${source.kind} ${source.dir}`,
      seed: Number(values.seed),
      trials: Number(values.trials),
      members: input.trials.length,
      validation_rows: e.rows,
      shap_ms_all_rows: Math.round(data.validation?.shapMs ?? Number.NaN),
      load: os.loadavg().map((l) => round(l, 2)),
      mean_abs_shap_all_rows: Object.fromEntries(top.map((t) => [t.column, round(t.value, 1)])),
      samples,
    };
    if (values.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else {
      const lines = [
        `${report.members}-member ensemble, ${e.rows} validation rows, all-rows SHAP ${report.shap_ms_all_rows} ms`,
        ...samples.map(
          (s) =>
            `${String(s.rows).padStart(5)} rows: top ${TOP_INPUTS} inputs ${s.top_inputs_same_order ? 'in the same order' : 'REORDERED'}, ` +
            `mean |SHAP| within ${(s.max_relative_error_top_inputs * 100).toFixed(1)} %`,
        ),
      ];
      process.stdout.write(lines.join('\n') + '\n');
    }
  } finally {
    await pool.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main()
  .catch((err: unknown) => {
    progress(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  })
  .finally(() => process.exit());
