import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { runSampleTraining, type SampleRunReport } from '../support/sample-run-report';
import { parseTrafficCsv } from '../../src/data/traffic-csv';
import type { TrafficRow } from '../../src/contracts/domain';
import { computeDrift } from '../../src/monitoring/psi';
import { buildReferenceProfile } from '../../src/monitoring/reference-profile';
import type { ChartId } from '../../src/report/render-run-report';
import { SAMPLE_DIR } from '../support/data-dirs';
import { openReportPage, type ReportPage } from '../support/report-page';

const OUTPUT = path.resolve(__dirname, '../../../.test-output');
const CHARTS: ChartId[] = [
  'convergence',
  'parameters',
  'shap-importance',
  'shap-beeswarm',
  'errors-hour-day',
  'errors-month',
  'validation-week',
  'drift',
];

function sampleRows(years: number[]): TrafficRow[] {
  return years.flatMap((year) => {
    const file = `Metro_Interstate_Traffic_Volume_${year}.csv`;
    return parseTrafficCsv({ text: fs.readFileSync(path.join(SAMPLE_DIR, file), 'utf8'), file }).rows;
  });
}

describe('run report of a training run on the sample data, opened in Chromium', function () {
  this.timeout(300_000);
  let artifacts: string;
  let report: SampleRunReport;
  let view: ReportPage;

  before(async () => {
    artifacts = fs.mkdtempSync(path.join(os.tmpdir(), 'run-report-'));
    // A stored retraining-check report, as assessDrift writes it, makes this a retraining run's report.
    const drift = computeDrift({
      profile: buildReferenceProfile({ rows: sampleRows([2012, 2013]) }),
      rows: sampleRows([2016]),
    });
    const driftRef = 'retrain-checks/test/check-1.json';
    fs.mkdirSync(path.join(artifacts, 'retrain-checks/test'), { recursive: true });
    fs.writeFileSync(path.join(artifacts, driftRef), JSON.stringify({ checkId: 'check-1', drift }));
    report = await runSampleTraining({
      dataUri: `file://${SAMPLE_DIR}`,
      artifactsUri: `file://${artifacts}`,
      years: [2012, 2013, 2014, 2015, 2016],
      validationYear: 2016,
      trials: 6,
      runId: 'browser-test-run',
      driftReportRef: driftRef,
    });
    view = await openReportPage(path.join(artifacts, report.reportRef));
  });

  after(async () => {
    await view?.close();
    fs.rmSync(artifacts, { recursive: true, force: true });
  });

  it('is stored as reports/<run id>.html and names the run, its data and the champion decision', async () => {
    expect(report.reportRef).to.equal('reports/browser-test-run.html');
    const text = await view.page.locator('body').innerText();
    expect(text).to.contain('browser-test-run');
    expect(text).to.contain('2012–2016');
    expect(text).to.match(/First champion|Promoted|Champion kept/);
    expect(text).to.contain('native 1.7');
    expect(await view.page.locator('a', { hasText: 'Temporal Web UI' }).getAttribute('href')).to.match(
      /\/namespaces\/default\/workflows\/browser-test-run$/,
    );
  });

  it('renders every chart as an SVG with marks', async () => {
    for (const id of CHARTS) {
      const svg = view.page.locator(`figure[data-chart="${id}"] svg`);
      expect(await svg.count(), `chart ${id}`).to.equal(1);
      expect(await svg.locator('path, rect, line').count(), `marks of ${id}`).to.be.greaterThan(5);
      expect((await svg.boundingBox())?.width ?? 0, `width of ${id}`).to.be.greaterThan(200);
    }
    expect(await view.page.locator('table.leaderboard tbody tr').count()).to.equal(6);
  });

  it('logs no errors, sends no request off the machine, and is saved as a screenshot', async () => {
    fs.mkdirSync(OUTPUT, { recursive: true });
    await view.page.screenshot({ path: path.join(OUTPUT, 'run-report.png'), fullPage: true });
    expect(view.errors).to.deep.equal([]);
    expect(view.blockedRequests).to.deep.equal([]);
  });
});
