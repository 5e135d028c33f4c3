import { expect } from 'chai';
import { DAYS, expectedDecisions, judgeYear } from '../soak/year-plan';

/** The soak's verdict on a year (test/soak/simulated-year.test.ts) catches what its earlier version let pass. */
describe('the soak’s verdict on a simulated year', () => {
  const expected = expectedDecisions();
  const planned = () => [...expected.entries()].map(([day, allowed]) => ({ day, decision: allowed[0] }));

  it('passes the plan’s own decisions', () => {
    expect(judgeYear(expected, planned())).to.deep.equal({ missing: [], mismatches: [] });
  });

  it('fails a year with a day that has no record (the earlier version compared only the days it had)', () => {
    const records = planned().filter((r) => r.day !== 200);
    expect(judgeYear(expected, records).missing).to.deep.equal([200]);
    expect(expected.size).to.equal(DAYS);
  });

  it('fails a planned failure with another error type or activity (the earlier version matched any `failed: `)', () => {
    const wrongType = planned().map((r) =>
      r.decision === 'failed: DatasetError in prepareDataset'
        ? { ...r, decision: 'failed: Error in prepareDataset' }
        : r,
    );
    expect(judgeYear(expected, wrongType).mismatches).to.deep.equal([
      'day 170: got failed: Error in prepareDataset, expected failed: DatasetError in prepareDataset',
      'day 171: got failed: Error in prepareDataset, expected failed: DatasetError in prepareDataset',
    ]);
    const wrongActivity = planned().map((r) =>
      r.day === 170 ? { ...r, decision: 'failed: DatasetError in runTrial' } : r,
    );
    expect(judgeYear(expected, wrongActivity).mismatches).to.have.length(1);
  });
});
