import { expect } from 'chai';
import {
  assessDecay,
  comparePaired,
  type PairedRow,
  type ServedRow,
} from '../../src/evaluation/model-comparison';
import { createRng, type Rng } from '../../src/search/search-space';

function normal(rng: Rng): number {
  const u = 1 - rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

function dateTime(day: number, hour: number): string {
  const d = new Date(Date.UTC(2016, 0, 1 + day, hour));
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * Hourly rows over `days` days whose errors are correlated within a day (a per-day shift shared by the day's hours),
 * as real traffic errors are. `challengerScale` multiplies the challenger's error spread (1 = equal quality).
 */
function pairedRows(seed: number, days: number, challengerScale: number): PairedRow[] {
  const rng = createRng(seed);
  const rows: PairedRow[] = [];
  for (let d = 0; d < days; d++) {
    const championDay = 300 * normal(rng);
    const challengerDay = 300 * normal(rng);
    for (let h = 0; h < 24; h++) {
      const actual = 3000 + 1500 * Math.sin((h / 24) * 2 * Math.PI);
      rows.push({
        dateTime: dateTime(d, h),
        actual,
        champion: actual + championDay + 300 * normal(rng),
        challenger: actual + challengerScale * (challengerDay + 300 * normal(rng)),
      });
    }
  }
  return rows;
}

function servedRows(seed: number, days: number, scale: number): ServedRow[] {
  const rng = createRng(seed);
  const rows: ServedRow[] = [];
  for (let d = 0; d < days; d++) {
    const dayShift = 300 * normal(rng);
    for (let h = 0; h < 24; h++) {
      rows.push({
        dateTime: dateTime(d, h),
        actual: 3000,
        predicted: 3000 + scale * (dayShift + 300 * normal(rng)),
      });
    }
  }
  return rows;
}

const rule = { minDays: 14, confidence: 0.95, resamples: 1000 };

describe('paired model comparison (block bootstrap over days)', () => {
  it('computes both RMSEs and their difference on exactly the rows given', () => {
    const rows: PairedRow[] = [];
    for (let d = 0; d < 14; d++) {
      rows.push({ dateTime: dateTime(d, 0), actual: 10, champion: 13, challenger: 11 });
      rows.push({ dateTime: dateTime(d, 1), actual: 10, champion: 6, challenger: 9 });
    }
    const c = comparePaired(rows, rule);
    expect(c.rows).to.equal(28);
    expect(c.days).to.equal(14);
    expect(c.from).to.equal('2016-01-01 00:00:00');
    expect(c.to).to.equal('2016-01-14 01:00:00');
    expect(c.championRmse).to.be.closeTo(Math.sqrt((9 + 16) / 2), 1e-12);
    expect(c.challengerRmse).to.be.closeTo(1, 1e-12);
    expect(c.difference.estimate).to.be.closeTo(1 - Math.sqrt(12.5), 1e-12);
    // Every day is identical, so every resample gives the same difference.
    expect(c.difference.low).to.be.closeTo(c.difference.estimate, 1e-12);
    expect(c.difference.high).to.be.closeTo(c.difference.estimate, 1e-12);
    expect(c.verdict).to.equal('better');
  });

  it('defers with too few days, however large the difference, and says how many it has and needs', () => {
    const rows = pairedRows(1, 13, 0.2);
    const c = comparePaired(rows, rule);
    expect(c.days).to.equal(13);
    expect(c.verdict).to.equal('too-few-days');
    expect(c.reason).to.contain('13 day(s)').and.contain('at least 14');
    expect(c.challengerRmse).to.be.lessThan(c.championRmse);
  });

  it('handles no rows at all as too few days', () => {
    const c = comparePaired([], rule);
    expect(c).to.include({ rows: 0, days: 0, from: '', to: '', verdict: 'too-few-days' });
  });

  it('is deterministic: the same rows and rule give the same interval', () => {
    const rows = pairedRows(7, 30, 0.95);
    expect(comparePaired(rows, rule)).to.deep.equal(comparePaired(rows, rule));
    const other = comparePaired(rows, { ...rule, seed: 99 });
    expect(other.difference.estimate).to.equal(comparePaired(rows, rule).difference.estimate);
  });

  it('rarely calls an equal-quality challenger better (at most 5 % of 40 seeded runs)', () => {
    let better = 0;
    for (let seed = 1; seed <= 40; seed++) {
      if (comparePaired(pairedRows(seed, 28, 1), rule).verdict === 'better') better++;
    }
    expect(better).to.be.at.most(2);
  });

  it('calls a clearly better challenger better (errors 30 % smaller) in nearly every run', () => {
    let better = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const c = comparePaired(pairedRows(seed, 28, 0.7), rule);
      if (c.verdict === 'better') {
        better++;
        expect(c.difference.high).to.be.lessThan(0);
        expect(c.reason).to.contain('below zero');
      }
    }
    expect(better).to.be.at.least(18);
  });

  it('widens the interval when errors are correlated within days, compared with treating hours as independent', () => {
    const rows = pairedRows(3, 28, 1);
    const byDay = comparePaired(rows, rule);
    // The same errors relabelled so that every row is its own day: a row-level bootstrap.
    const start = Date.UTC(2000, 0, 1);
    const asRows = rows.map((r, i) => ({
      ...r,
      dateTime: new Date(start + i * 86_400_000).toISOString().slice(0, 19).replace('T', ' '),
    }));
    const byRow = comparePaired(asRows, rule);
    expect(byDay.difference.high - byDay.difference.low).to.be.greaterThan(
      1.5 * (byRow.difference.high - byRow.difference.low),
    );
  });

  it('rejects a malformed date_time and a bad rule with a message naming the problem', () => {
    const rows = pairedRows(1, 1, 1);
    expect(() => comparePaired([{ ...rows[0], dateTime: '2016-01-01T00:00' }], rule)).to.throw(/date_time/);
    expect(() => comparePaired([{ ...rows[0], challenger: Number.NaN }], rule)).to.throw(/non-finite/);
    expect(() => comparePaired(rows, { minDays: 0, confidence: 0.95 })).to.throw(/minDays/);
    expect(() => comparePaired(rows, { minDays: 14, confidence: 95 })).to.throw(/confidence/);
  });
});

describe('decay assessment (block bootstrap over days)', () => {
  const decayRule = { ...rule, ratio: 1.1 };

  it('fires when the model is clearly worse than expected', () => {
    const a = assessDecay(servedRows(5, 21, 1.5), 424, decayRule);
    expect(a.verdict).to.equal('decayed');
    expect(a.ratio.low).to.be.greaterThan(1.1);
    expect(a.ratio.estimate).to.be.closeTo(a.rmse / 424, 1e-12);
  });

  it('does not fire on a model performing as expected (at most 5 % of 40 seeded runs)', () => {
    // Per-day shift sd 300 and hourly noise sd 300: expected RMSE sqrt(2) * 300.
    let decayed = 0;
    for (let seed = 1; seed <= 40; seed++) {
      if (assessDecay(servedRows(seed, 28, 1), Math.SQRT2 * 300, decayRule).verdict === 'decayed') decayed++;
    }
    expect(decayed).to.be.at.most(2);
  });

  it('says too few days below the minimum window', () => {
    const a = assessDecay(servedRows(5, 6, 3), 424, decayRule);
    expect(a.verdict).to.equal('too-few-days');
    expect(a.days).to.equal(6);
    expect(a.reason).to.contain('at least 14');
  });

  it('rejects a non-positive expected RMSE', () => {
    expect(() => assessDecay(servedRows(5, 14, 1), 0, decayRule)).to.throw(/expected RMSE/);
  });
});
