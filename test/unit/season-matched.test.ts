import { expect } from 'chai';
import { computeDrift, psi, SMALL_SAMPLE_ROWS, type DriftReport } from '../../src/monitoring/psi';
import { buildReferenceProfile, validateReferenceProfile } from '../../src/monitoring/reference-profile';
import {
  MIN_REFERENCE_MONTH_ROWS,
  monthCounts,
  seasonMatchedProportions,
} from '../../src/monitoring/season-matched';
import { syntheticYear, withoutMonths } from '../support/profile-fixtures';

const json = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

function feature(report: DriftReport, name: string) {
  return report.features.find((f) => f.feature === name)!;
}

describe('seasonMatchedProportions', () => {
  const month = (m: number, proportions: number[], rows = MIN_REFERENCE_MONTH_ROWS) => ({
    month: m,
    rows,
    proportions,
  });

  it('mixes the reference months by the batch’s month shares', () => {
    const byMonth = [month(1, [1, 0]), month(7, [0.2, 0.8])];
    const expected = seasonMatchedProportions(
      [0.5, 0.5],
      byMonth,
      new Map([
        [1, 30],
        [7, 10],
      ]),
    );
    expect(expected[0]).to.be.closeTo(0.75 * 1 + 0.25 * 0.2, 1e-12);
    expect(expected[1]).to.be.closeTo(0.25 * 0.8, 1e-12);
  });

  it('uses the overall proportions for a month the reference lacks or has too few rows of', () => {
    const byMonth = [month(1, [1, 0]), month(2, [0, 1], MIN_REFERENCE_MONTH_ROWS - 1)];
    const expected = seasonMatchedProportions(
      [0.5, 0.5],
      byMonth,
      new Map([
        [1, 1],
        [2, 1],
        [3, 2],
      ]),
    );
    expect(expected[0]).to.be.closeTo(0.25 * 1 + 0.75 * 0.5, 1e-12);
    expect(expected[1]).to.be.closeTo(0.75 * 0.5, 1e-12);
    expect(seasonMatchedProportions([0.5, 0.5], byMonth, new Map())).to.deep.equal([0.5, 0.5]);
  });

  it('counts rows per calendar month', () => {
    const rows = syntheticYear(2015, 15).filter((r) => r.date_time.month <= 2);
    const counts = monthCounts(rows);
    expect([...counts.keys()]).to.deep.equal([1, 2]);
    expect(counts.get(1)! + counts.get(2)!).to.equal(rows.length);
  });
});

// The retraining check's situation: a champion trained on whole years, a partial current year to assess.
describe('season-matched drift on a partial year', () => {
  const profile = buildReferenceProfile({
    rows: [...syntheticYear(2012, 12), ...syntheticYear(2013, 13), ...syntheticYear(2014, 14)],
  });
  const current = syntheticYear(2015, 15);
  const upTo = (month: number) => current.filter((r) => r.date_time.month <= month);
  const inMonth = (month: number) => current.filter((r) => r.date_time.month === month);

  it('finds no drift in January…m of an unchanged year for any m with a large enough sample', () => {
    const checked: number[] = [];
    for (let m = 1; m <= 12; m++) {
      const report = computeDrift({ profile, rows: upTo(m) });
      expect(report.seasonMatched).to.equal(true);
      if (report.smallSample) continue;
      checked.push(m);
      expect(report.drifted, `January…${m}: max PSI ${report.maxPsi.toFixed(3)}`).to.deep.equal([]);
    }
    expect(checked[0]).to.be.at.most(4);
    expect(checked).to.have.length(13 - checked[0]);
  });

  it('compares with the same months of the reference, where whole years show the season as drift', () => {
    const batch = upTo(4);
    expect(batch.length).to.be.at.least(SMALL_SAMPLE_ROWS);
    const matched = computeDrift({ profile, rows: batch });
    const wholeYears = computeDrift({ profile: withoutMonths(profile), rows: batch });
    expect(wholeYears.drifted).to.include('temp');
    expect(feature(matched, 'temp').psi).to.be.below(feature(wholeYears, 'temp').psi / 5);
    // The expected shares are those of January–April: the coldest bin is far above its whole-year 10 %.
    expect(feature(matched, 'temp').expected[0]).to.be.above(0.2);
  });

  it('still detects a month whose temperature is 25 K off its season', () => {
    const normal = computeDrift({ profile, rows: [...upTo(4), ...inMonth(12)] });
    expect(normal.drifted).to.deep.equal([]);
    const warmDecember = inMonth(12).map((r) => ({ ...r, temp: r.temp + 25 }));
    const report = computeDrift({ profile, rows: [...upTo(4), ...warmDecember] });
    expect(report.smallSample).to.equal(false);
    expect(report.drifted).to.deep.equal(['temp']);
  });

  it('still detects a July reported as all snow', () => {
    const snowyJuly = inMonth(7).map((r) => ({ ...r, weather_main: 'Snow' }));
    const report = computeDrift({ profile, rows: [...upTo(4), ...snowyJuly] });
    expect(report.smallSample).to.equal(false);
    expect(report.drifted).to.deep.equal(['weather_main']);
  });

  it('compares an old profile (no per-month shares) with whole training years, as before', () => {
    const old = validateReferenceProfile(json(withoutMonths(profile)));
    const batch = upTo(5);
    const report = computeDrift({ profile: old, rows: batch });
    expect(report.seasonMatched).to.equal(false);
    const matched = computeDrift({ profile, rows: batch });
    for (const f of old.features) {
      const drift = feature(report, f.feature);
      const whole = f.kind === 'categorical' && !f.closed ? [...f.proportions, 0] : f.proportions;
      expect(drift.expected, f.feature).to.deep.equal(whole);
      expect(drift.actual, f.feature).to.deep.equal(feature(matched, f.feature).actual);
      expect(drift.psi, f.feature).to.equal(psi(whole, drift.actual));
    }
    expect(report.drifted).to.deep.equal(['temp']);
  });
});
