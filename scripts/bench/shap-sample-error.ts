/**
 * How far the run report's SHAP summary on a sample of validation rows is from the one on every row: a short
 * training of the real activities (no server) on 2012–2016, validation 2016, its top 5 trials refitted into an
 * ensemble as the default training does, all validation rows explained once, then the mean |SHAP| per input of
 * evenly spread samples (src/evaluation/shap-sample.ts; each sampled row's values are the all-rows ones)
 * against all rows. Two designs: "even" (the plain even spread) and "stratified" (by hour of day × working day,
 * even within each stratum); each at `--offsets` shifted starts (offset 0 is the one the report takes), so the
 * error of a design is measured over many of its samples, not one: the RMS relative error of each top input's
 * mean |SHAP|, how often its 95 % interval (src/evaluation/shap-precision.ts) covers the all-rows value, and the
 * interval's half-width relative to that value. See docs/run-reports.md.
 *
 *   npm run bench:shap-sample [-- --json] [--seed 42] [--trials 8] [--sizes 100,200,500,1000,2000] [--offsets 16]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { collectRunReport } from '../../src/activities/run-report';
import { meanAbsoluteContributions, type Explanation } from '../../src/engines/explain';
import { createTrialPool } from '../../src/engines/trial-pool';
import { meanAbsShapIntervals } from '../../src/evaluation/shap-precision';
import { hourByWorkingDay, shapSampleRows, stratifiedShapSampleRows } from '../../src/evaluation/shap-sample';
import { openBlobStore } from '../../src/storage/from-uri';
import { refitSampleEnsemble, runSampleTraining } from '../../test/support/sample-run-report';
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
    offsets: { type: 'string', default: '16' },
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
    const { result } = sample.reportInput;
    progress(`refitting the top ${values.ensemble} into an ensemble`);
    result.finalModel = await refitSampleEnsemble(sample, {
      artifactsUri: `file://${dir}`,
      pool,
      members: Number(values.ensemble),
    });
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
    const strataOfRows = data.validation!.times.map(hourByWorkingDay);
    const offsets = Array.from({ length: Number(values.offsets) }, (_, j) => j / Number(values.offsets));
    const draw = (design: 'even' | 'stratified', size: number, offset: number) => {
      if (design === 'even') {
        const rows = shapSampleRows(e.rows, size, offset);
        return { rows, estimates: meanAbsShapIntervals(subset(e, rows), e.rows) };
      }
      const s = stratifiedShapSampleRows(strataOfRows, size, offset);
      return { rows: s.rows, estimates: meanAbsShapIntervals(subset(e, s.rows), e.rows, s) };
    };
    const samples = values.sizes.split(',').flatMap((size) =>
      (['even', 'stratified'] as const).map((design) => {
        const draws = offsets.map((offset) => draw(design, Number(size), offset));
        const errorsOf = (d: (typeof draws)[number]) => {
          const est = new Map(d.estimates.map((p) => [p.column, p]));
          return top.map((t) => {
            const p = est.get(t.column)!;
            return {
              error: Math.abs(p.value - t.value) / t.value,
              covers: p.low <= t.value && t.value <= p.high,
              halfWidth: (p.high - p.low) / 2 / t.value,
            };
          });
        };
        const first = errorsOf(draws[0]);
        const all = draws.map(errorsOf);
        const rms = top.map((_, i) => Math.sqrt(all.reduce((a, d) => a + d[i].error ** 2, 0) / all.length));
        const cells = all.flat();
        return {
          rows: draws[0].rows.length,
          design,
          top_inputs_same_order: top.every((t, i) => draws[0].estimates[i]?.column === t.column),
          max_relative_error_top_inputs: round(Math.max(...first.map((x) => x.error)), 4),
          relative_errors_top_inputs: first.map((x) => round(x.error, 4)),
          relative_half_widths_top_inputs: first.map((x) => round(x.halfWidth, 4)),
          over_offsets: {
            offsets: offsets.length,
            same_order_share: round(
              draws.filter((d) => top.every((t, i) => d.estimates[i]?.column === t.column)).length /
                draws.length,
              3,
            ),
            rms_relative_error_top_inputs: rms.map((x) => round(x, 4)),
            max_relative_error: round(Math.max(...cells.map((x) => x.error)), 4),
            coverage_95: round(cells.filter((x) => x.covers).length / cells.length, 3),
            mean_relative_half_width: round(cells.reduce((a, x) => a + x.halfWidth, 0) / cells.length, 4),
          },
        };
      }),
    );
    const report = {
      data: `${source.kind} ${source.dir}`,
      seed: Number(values.seed),
      trials: Number(values.trials),
      members: result.finalModel.members?.length ?? 1,
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
        `top ${TOP_INPUTS} inputs: ${top.map((t) => t.column).join(', ')}`,
        ...samples.map(
          (s) =>
            `${String(s.rows).padStart(5)} rows ${s.design.padEnd(10)}: offset 0 ${s.top_inputs_same_order ? 'same order' : 'REORDERED'}, ` +
            `within ${(s.max_relative_error_top_inputs * 100).toFixed(1)} %, 95 % half-widths ` +
            `${s.relative_half_widths_top_inputs.map((x) => (x * 100).toFixed(1)).join('/')} %; over ${s.over_offsets.offsets} offsets: ` +
            `RMS error ${s.over_offsets.rms_relative_error_top_inputs.map((x) => (x * 100).toFixed(1)).join('/')} %, ` +
            `coverage ${(s.over_offsets.coverage_95 * 100).toFixed(0)} %, same order ${(s.over_offsets.same_order_share * 100).toFixed(0)} %`,
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
