import { expect } from 'chai';
import { formatRetrainResult } from '../../src/cli/retrain-run';
import type { DriftSummary, RetrainCheckResult } from '../../src/workflows/types';

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
