import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { collectRunReport, SHAP_CHUNK_ROWS } from '../../src/activities/run-report';
import { createTrialPool, type TrialPool } from '../../src/engines/trial-pool';
import { meanAbsoluteContributions } from '../../src/engines/explain';
import {
  hourByWorkingDay,
  SHAP_SAMPLE_DESIGN,
  SHAP_SAMPLE_ROWS,
  shapSampleRows,
  stratifiedShapSampleRows,
} from '../../src/evaluation/shap-sample';
import { predictMatrix } from '../../src/activities/score-version';
import { decodePreparedDataset } from '../../src/features/prepared-dataset';
import { takeRows } from '../../src/features/stack-rows';
import { createChartPool } from '../../src/report/chart-pool';
import { renderAhead } from '../../src/report/render-ahead';
import { renderRunReport, searchChartSpecs } from '../../src/report/render-run-report';
import type { RunReportInput } from '../../src/report/report-data';
import { openBlobStore } from '../../src/storage/from-uri';
import { SAMPLE_DIR } from '../support/data-dirs';
import { refitSampleEnsemble, runSampleTraining, type SampleRunReport } from '../support/sample-run-report';

describe('run report: SHAP on a stated sample of rows, in parallel over the pool threads', function () {
  this.timeout(300_000);
  let artifactsDir: string;
  let sample: SampleRunReport;
  let pool: TrialPool;

  before(async () => {
    artifactsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-sample-'));
    sample = await runSampleTraining({
      dataUri: `file://${SAMPLE_DIR}`,
      artifactsUri: `file://${artifactsDir}`,
      years: [2014, 2015, 2016],
      validationYear: 2016,
      trials: 2,
      runId: 'sample-run',
    });
    pool = createTrialPool({ threads: 2 });
  });

  after(async () => {
    await pool?.close();
    fs.rmSync(artifactsDir, { recursive: true, force: true });
  });

  /** The rows the report's default design picks. */
  const picked = (v: NonNullable<RunReportInput['validation']>, size: number): number[] =>
    SHAP_SAMPLE_DESIGN === 'stratified'
      ? stratifiedShapSampleRows(v.times.map(hourByWorkingDay), size).rows
      : shapSampleRows(v.times.length, size);

  const collect = (threadPool: TrialPool, shapSampleRows?: number): Promise<RunReportInput> =>
    collectRunReport(
      {
        artifacts: openBlobStore(`file://${artifactsDir}`, {}),
        openDataStore: (uri) => openBlobStore(uri, {}),
        pool: threadPool,
        ...(shapSampleRows === undefined ? {} : { shapSampleRows }),
      },
      { ...sample.reportInput, namespace: 'default', now: new Date() },
    );

  it('spreads the sample evenly over the rows, in order, and takes every row when there are fewer', () => {
    expect(shapSampleRows(10, 4)).to.deep.equal([0, 2, 5, 7]);
    expect(shapSampleRows(3, 4)).to.deep.equal([0, 1, 2]);
    expect(shapSampleRows(3, Number.POSITIVE_INFINITY)).to.deep.equal([0, 1, 2]);
    expect(shapSampleRows(8_784)).to.have.length(SHAP_SAMPLE_ROWS);
    expect(() => shapSampleRows(10, 0)).to.throw(RangeError);
  });

  it('keeps the exact numbers: every row predicted as before, each sampled row’s SHAP values as on all rows', async () => {
    const all = (await collect(pool, Number.POSITIVE_INFINITY)).validation!;
    const sampled = (await collect(pool)).validation!;
    const rows = sample.validationRows;
    expect(rows).to.be.greaterThan(SHAP_SAMPLE_ROWS);
    // Predictions, errors and intervals use every row and are identical.
    expect(Array.from(sampled.predicted)).to.deep.equal(Array.from(all.predicted));
    expect(sampled.intervals).to.deep.equal(all.intervals);
    expect(Array.from(all.predicted)).to.deep.equal(Array.from(all.explanation!.predictions));
    // The SHAP values: the sample's rows, each exactly as when all rows are explained.
    expect(all.shapSample).to.include({ rows, of: rows });
    expect(sampled.shapSample).to.include({ rows: SHAP_SAMPLE_ROWS, of: rows, design: SHAP_SAMPLE_DESIGN });
    const e = sampled.explanation!;
    expect(e.rows).to.equal(SHAP_SAMPLE_ROWS);
    expect(e.columns).to.deep.equal(all.explanation!.columns);
    const k = e.columns.length;
    for (const [i, r] of picked(all, SHAP_SAMPLE_ROWS).entries()) {
      expect(e.predictions[i]).to.equal(all.predicted[r]);
      for (let c = 0; c < k; c++) {
        expect(e.contributions[i * k + c]).to.equal(all.explanation!.contributions[r * k + c]);
        const value = sampled.columnValues![i * k + c];
        const expected = all.columnValues![r * k + c];
        expect(Number.isNaN(value) ? 'NaN' : value).to.equal(Number.isNaN(expected) ? 'NaN' : expected);
      }
    }
    // The report says how many rows its SHAP summary is of.
    const html = await renderRunReport({ ...(await collect(pool)), validation: sampled });
    expect(html).to.contain(
      `a sample of ${SHAP_SAMPLE_ROWS.toLocaleString('en-US')} of the ${rows.toLocaleString('en-US')} validation rows`,
    );
  });

  it('shows how precise the sample is: each input’s 95 % interval covers its all-rows mean |SHAP| and narrows with more rows', async () => {
    const all = (await collect(pool, Number.POSITIVE_INFINITY)).validation!;
    const exact = meanAbsoluteContributions(all.explanation!);
    // Every row: the exact means, with no width.
    expect(all.shapSample!.meanAbsShap.map((m) => m.column)).to.deep.equal(exact.map((m) => m.column));
    for (const [i, m] of all.shapSample!.meanAbsShap.entries()) {
      expect(m.value).to.be.closeTo(exact[i].value, 1e-6 * exact[i].value + 1e-9);
      expect(m.high - m.low).to.be.closeTo(0, 1e-6);
    }
    const widths: number[] = [];
    for (const size of [200, 500, 2_000]) {
      const v = (await collect(pool, size)).validation!;
      const estimates = new Map(v.shapSample!.meanAbsShap.map((m) => [m.column, m]));
      let width = 0;
      // The top five inputs, as the run report's summary and the bench (bench:shap-sample) judge them.
      for (const t of exact.slice(0, 5)) {
        const m = estimates.get(t.column)!;
        expect(m.low, `${t.column} at ${size} rows`).to.be.at.most(t.value);
        expect(m.high, `${t.column} at ${size} rows`).to.be.at.least(t.value);
        width += (m.high - m.low) / t.value;
      }
      widths.push(width);
    }
    expect(widths[1]).to.be.lessThan(widths[0]);
    expect(widths[2]).to.be.lessThan(widths[1]);
    // The report shows each input's interval.
    const data = await collect(pool, 200);
    const html = await renderRunReport(data);
    expect(html).to.contain('How precise the sample is');
    for (const m of data.validation!.shapSample!.meanAbsShap)
      expect(html).to.contain(`<td>${m.column.replace(/&/g, '&amp;')}</td>`);
    expect(html).to.contain('95 % interval');
  });

  it('judges a refitted model by the models as selected, never on rows it trained on; SHAP explains the refit', async () => {
    const artifacts = openBlobStore(`file://${artifactsDir}`, {});
    const { result } = sample.reportInput;
    const finalModel = await refitSampleEnsemble(sample, {
      artifactsUri: `file://${artifactsDir}`,
      pool,
      members: 2,
      intervalMethod: 'validation-year',
    });
    // finalizeModel's predictions of the validation rows by the models as selected are reused, not made again.
    expect(finalModel.selected?.validationPredictionsRef).to.be.a('string');
    let predicts = 0;
    const watched: TrialPool = { ...pool, predict: (task) => (predicts++, pool.predict(task)) };
    const data = await collectRunReport(
      { artifacts, openDataStore: (uri) => openBlobStore(uri, {}), pool: watched },
      { ...sample.reportInput, result: { ...result, finalModel }, namespace: 'default', now: new Date() },
    );
    expect(predicts).to.equal(0);
    const v = data.validation!;
    // The same numbers as a result from before, without the reference, whose report predicts them itself.
    const { validationPredictionsRef: _reused, ...selectedBefore } = finalModel.selected!;
    const before = await collectRunReport(
      { artifacts, openDataStore: (uri) => openBlobStore(uri, {}), pool: watched },
      {
        ...sample.reportInput,
        result: { ...result, finalModel: { ...finalModel, selected: selectedBefore } },
        namespace: 'default',
        now: new Date(),
      },
    );
    expect(predicts).to.equal(2);
    expect(Array.from(before.validation!.predicted)).to.deep.equal(Array.from(v.predicted));
    expect(before.validation!.actual).to.deep.equal(v.actual);
    // With the predictions reused only the sample's rows are transformed: the same SHAP values and input values.
    expect(v.explanation).to.deep.equal(before.validation!.explanation);
    expect(Array.from(v.columnValues!)).to.deep.equal(Array.from(before.validation!.columnValues!));
    expect(v.shapSample).to.deep.equal(before.validation!.shapSample);
    // The errors are the selected members' mean, whose validation RMSE finalizeModel reports as the model's.
    const rmse = Math.sqrt(
      v.actual.reduce((sum, a, i) => sum + (v.predicted[i] - a) ** 2, 0) / v.actual.length,
    );
    expect(rmse).to.be.closeTo(finalModel.metrics.rmse, 1e-3 * finalModel.metrics.rmse);
    // The refitted members, which have trained on these rows, predict them better: they are the ones explained.
    const rows = picked(v, SHAP_SAMPLE_ROWS);
    const refitted = await predictMatrix(
      { artifacts, pool },
      finalModel,
      takeRows(decodePreparedDataset(await artifacts.get(result.dataset.datasetRef)).validation, rows),
    );
    expect(Array.from(v.explanation!.predictions)).to.deep.equal(Array.from(refitted));
    expect(rows.some((r, i) => refitted[i] !== v.predicted[r])).to.equal(true);
    expect(v.intervals?.bounds).to.have.length(v.actual.length);
    const html = await renderRunReport(data);
    expect(html).to.contain(
      `Errors of the model as selected, before the refit (the mean of ${finalModel.members!.join(', ')}), which never trained on 2016`,
    );
    expect(html).to.contain('SHAP values of this run’s best model, ensemble-');
  });

  it('renders the same page with its charts on chart threads, the search’s started ahead, as on this thread', async () => {
    const data = await collect(pool);
    const here = await renderRunReport(data);
    const chartPool = createChartPool({ threads: 2 });
    try {
      let rendered = 0;
      const charts = renderAhead((spec) => {
        rendered++;
        return chartPool.render(spec);
      });
      const specs = searchChartSpecs(data.trials);
      expect(specs, 'two trials make a search section with charts').to.not.equal(undefined);
      charts.start([specs!.convergence, specs!.parameters]);
      const there = await renderRunReport(data, charts.render);
      expect(there).to.equal(here);
      // Every chart rendered once: the two started ahead were not rendered again.
      const figures = here.match(/<figure class="chart"/g) ?? [];
      expect(figures.length).to.be.greaterThan(2);
      expect(rendered).to.equal(figures.length);
      expect(here.match(/<svg/g) ?? []).to.have.length(figures.length);
      // Ids unique in the page, and every reference to one points inside its own chart.
      const ids = [...here.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
      expect(new Set(ids).size, 'distinct ids').to.equal(ids.length);
      expect(ids.length).to.be.greaterThan(0);
      for (const [, id] of here.matchAll(/url\(#([^)]+)\)/g)) expect(ids).to.include(id);
    } finally {
      await chartPool.close();
    }
  });

  it('takes the sample size a training asks for (train --shap-rows)', async () => {
    const data = await collectRunReport(
      {
        artifacts: openBlobStore(`file://${artifactsDir}`, {}),
        openDataStore: (uri) => openBlobStore(uri, {}),
        pool,
      },
      {
        ...sample.reportInput,
        training: { ...sample.reportInput.training, shapSampleRows: 200 },
        namespace: 'default',
        now: new Date(),
      },
    );
    expect(data.validation?.shapSample).to.include({ rows: 200, of: sample.validationRows });
    expect(data.validation?.explanation?.rows).to.equal(200);
  });

  it('runs the SHAP chunks and the predictions as many at once as the pool has threads', async () => {
    let running = 0;
    let most = 0;
    let explains = 0;
    const counted = <T>(run: () => Promise<T>): Promise<T> => {
      running++;
      most = Math.max(most, running);
      return run().finally(() => running--);
    };
    const watched: TrialPool = {
      ...pool,
      predict: (task) => counted(() => pool.predict(task)),
      explain: (task) => (explains++, counted(() => pool.explain(task))),
    };
    await collect(watched);
    expect(explains).to.equal(Math.ceil(SHAP_SAMPLE_ROWS / SHAP_CHUNK_ROWS));
    expect(most).to.equal(pool.threads);
  });
});
