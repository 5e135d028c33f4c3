import { expect } from 'chai';
import { formatRetrainResult } from '../../src/cli/retrain-run';
import type { DriftSummary, RetrainCheckResult } from '../../src/contracts';

describe('formatRetrainResult drift line', () => {
  const drift: DriftSummary = {
    reportRef: 'retrain-checks/x/check-1.json',
    championVersion: 3,
    rows: 2880,
    maxPsi: 0.12,
    drifted: [],
    smallSample: false,
    unreadable: [],
    psi: { temp: 0.12, hour: 0.001 },
  };
  const result = (d: DriftSummary): RetrainCheckResult => ({
    decision: 'no-new-data',
    retrained: false,
    reasons: [],
    diff: { added: [], changed: [], removed: [], unchanged: ['a.csv'] },
    drift: d,
    stateCommitted: false,
  });
  const driftLine = (d: DriftSummary) =>
    formatRetrainResult(result(d))
      .split('\n')
      .find((l) => l.startsWith('drift vs'));

  it('says when the PSI compared the same calendar months of the training data', () => {
    expect(driftLine({ ...drift, seasonMatched: true })).to.equal(
      'drift vs champion v3 on 2880 rows (season-matched): temp 0.120, hour 0.001',
    );
  });

  it('says nothing of seasons for a comparison with whole training years', () => {
    expect(driftLine({ ...drift, seasonMatched: false })).to.equal(
      'drift vs champion v3 on 2880 rows: temp 0.120, hour 0.001',
    );
    expect(driftLine(drift)).to.equal('drift vs champion v3 on 2880 rows: temp 0.120, hour 0.001');
  });
});

describe('formatRetrainResult live accuracy block (issue 16 part 6)', () => {
  it('prints one line per served version, with what was left out', () => {
    const text = formatRetrainResult({
      decision: 'new-data',
      retrained: false,
      reasons: [],
      diff: { added: ['b.csv'], changed: [], removed: [], unchanged: [] },
      stateCommitted: false,
      liveAccuracy: {
        matched: 30,
        unmatched: 2,
        duplicates: 5,
        ambiguousLabels: 0,
        byVersion: [
          {
            version: 3,
            rows: 30,
            rmse: 412.34,
            mae: 300.01,
            from: '2016-01-01 00:00:00',
            to: '2016-01-02 05:00:00',
          },
        ],
        labelledRows: 48,
        unreadable: [],
        logFiles: 4,
        badLogLines: 1,
      },
    });
    expect(text).to.contain(
      'live accuracy: 30 served hours matched with 48 new labelled rows (4 log files); 2 served hours without a label yet, 5 repeated log rows (last answer kept), 1 unreadable log lines\n' +
        '  v3: 30 rows 2016-01-01 00:00:00 .. 2016-01-02 05:00:00, RMSE 412.3, MAE 300.0',
    );
  });
});
