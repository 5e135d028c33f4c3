import { expect } from 'chai';
import { renderRunReport } from '../../src/report/render-run-report';
import type { RunReportInput } from '../../src/report/report-data';

describe('run report: the champion decision shows its comparison', () => {
  it('names the rows compared, both RMSEs there and the interval of the difference', async () => {
    const input: RunReportInput = {
      run: {
        runId: 'run-1',
        modelName: 'm',
        dataUri: 'file:///data',
        filePrefix: 'T',
        years: [2012, 2016],
        validationYear: 2016,
        trainRows: 100,
        validationRows: 50,
        duplicatesRemoved: 0,
        badRows: [],
        engine: 'native',
        trigger: 'ad-hoc',
        startedAt: '2026-12-01T00:00:00.000Z',
        durationMs: 1000,
        webUiUrl: 'http://localhost:8233',
        datasetHash: 'h',
      },
      trials: [],
      champion: {
        decision: 'kept',
        championVersion: 1,
        candidate: { version: 2, rmse: 410 },
        previousChampion: { version: 1, rmse: 588.89 },
        validationYear: 2016,
        reason: 'champion v1 kept over v2',
        comparison: {
          from: '2016-07-01 00:00:00',
          to: '2016-12-31 23:00:00',
          rows: 5063,
          days: 184,
          champion: { version: 1, rmse: 588.89 },
          challenger: { version: 2, rmse: 595.52 },
          difference: { estimate: 6.63, low: -4.46, high: 18.93 },
          decision: 'kept',
        },
      },
      generatedAt: '2026-12-01T00:00:01.000Z',
    };
    const html = await renderRunReport(input);
    expect(html).to.contain('Champion kept');
    expect(html).to.contain('5,063 rows over 184 days, 2016-07-01 00:00:00 … 2016-12-31 23:00:00');
    expect(html).to.contain('interval [-4.5, 18.9]');
    expect(html).to.contain('595.5');
    expect(html).to.contain('588.9');
  });
});
