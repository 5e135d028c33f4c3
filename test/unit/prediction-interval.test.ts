import { expect } from 'chai';
import { parseLocalDateTime } from '../../src/data/local-date-time';
import {
  assertIntervalLevel,
  calibrateIntervals,
  intervalCoverage,
  intervalGroup,
  intervalHalfWidth,
  intervalOffsets,
  parseIntervalCalibration,
  parseIntervalMethod,
  predictionIntervals,
} from '../../src/evaluation/prediction-interval';
import { createRng } from '../../src/search/search-space';

const row = (text: string, holiday = 'None') => ({ date_time: parseLocalDateTime(text), holiday });

/** Hourly rows over `days` days from 2015-03-02 (a Monday), hour h's noise scale growing with h. */
function noisyDays(days: number, seed: number) {
  const rng = createRng(seed);
  const rows = [];
  const labels: number[] = [];
  const predictions: number[] = [];
  for (let d = 0; d < days; d++) {
    for (let h = 0; h < 24; h++) {
      const date = new Date(Date.UTC(2015, 2, 2 + d, h));
      rows.push(row(date.toISOString().slice(0, 19).replace('T', ' ')));
      const prediction = 1000 + 100 * h;
      // Uniform errors in ±(10 + 20 h): the 90 % half-width is 0.9 × (10 + 20 h).
      labels.push(prediction + (rng.next() * 2 - 1) * (10 + 20 * h));
      predictions.push(prediction);
    }
  }
  return { rows, labels, predictions };
}

describe('prediction intervals (split conformal, by hour and working day)', () => {
  it('groups rows by hour of day and working day; weekends and federal holidays are days off', () => {
    expect(intervalGroup(row('2015-03-02 08:00:00'))).to.equal('8w'); // Monday
    expect(intervalGroup(row('2015-03-07 08:00:00'))).to.equal('8o'); // Saturday
    expect(intervalGroup(row('2015-07-03 17:00:00'))).to.equal('17o'); // Independence Day observed (Fri)
    expect(intervalGroup(row('2015-03-03 00:00:00', 'State Fair'))).to.equal('0o'); // a holiday the row names
  });

  it('takes the ⌈(n+1)·level⌉-th smallest residual of a group, and falls back to all rows for a small group', () => {
    const calibration = calibrateIntervals({
      rows: [...Array(9).fill(row('2015-03-02 08:00:00')), row('2015-03-07 03:00:00')],
      labels: [1, 2, 3, 4, 5, 6, 7, 8, 9, 100],
      predictions: new Array(10).fill(0),
      source: { rows: 'test rows', model: 'zero' },
    });
    expect(calibration.residuals['8w']).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // n = 9, level 0.8: rank ⌈10 · 0.8⌉ = 8.
    expect(intervalHalfWidth(calibration, '8w', 0.8)).to.equal(8);
    // '3o' has one residual, too few for 0.8 (rank 2 > 1): the pooled ten give rank ⌈11 · 0.8⌉ = 9.
    expect(intervalHalfWidth(calibration, '3o', 0.8)).to.equal(9);
    // A group never seen falls back to the pool too.
    expect(intervalHalfWidth(calibration, '5w', 0.5)).to.equal(6);
    expect(() => intervalHalfWidth(calibration, '8w', 0.99)).to.throw(/too few for a 0.99 interval/);
  });

  it('covers about the level on fresh rows from the same distribution, narrow at night and wide at rush hour', () => {
    const calibrationRows = noisyDays(120, 1);
    const calibration = calibrateIntervals({
      ...calibrationRows,
      source: { rows: 'days 1-120', model: 'truth' },
    });
    const fresh = noisyDays(120, 2);
    const intervals = predictionIntervals(calibration, fresh.rows, fresh.predictions, 0.9);
    const { coverage, meanWidth } = intervalCoverage(fresh.labels, intervals);
    expect(coverage).to.be.within(0.87, 0.93);
    const width = (h: number) => intervals[h][1] - intervals[h][0];
    expect(width(2)).to.be.closeTo(2 * 0.9 * 50, 10);
    expect(width(20)).to.be.closeTo(2 * 0.9 * 410, 60);
    expect(meanWidth).to.be.greaterThan(width(2)).and.lessThan(width(20));
  });

  it('clamps intervals at 0 and keeps them around the prediction', () => {
    const calibration = calibrateIntervals({
      rows: Array(20).fill(row('2015-03-02 03:00:00')),
      labels: Array.from({ length: 20 }, (_, i) => 100 + (i % 2 === 0 ? i * 10 : -i * 10)),
      predictions: new Array(20).fill(100),
      source: { rows: 'test rows', model: 'constant' },
    });
    const [[low, high]] = predictionIntervals(calibration, [row('2015-03-09 03:00:00')], [50], 0.9);
    expect(low).to.equal(0);
    expect(high).to.equal(50 + intervalHalfWidth(calibration, '3w', 0.9));
  });

  it('refuses levels outside (0, 1) and malformed calibrations', () => {
    for (const bad of [0, 1, 1.5, -0.1, Number.NaN]) {
      expect(() => assertIntervalLevel(bad)).to.throw(/between 0 and 1/);
    }
    expect(() => parseIntervalCalibration({ kind: 'interval-calibration' })).to.throw(
      /invalid interval calibration/,
    );
    const ok = calibrateIntervals({
      rows: [row('2015-03-02 03:00:00')],
      labels: [3],
      predictions: [1],
      source: { rows: 'r', model: 'm' },
    });
    expect(parseIntervalCalibration(JSON.parse(JSON.stringify(ok)))).to.deep.equal(ok);
  });

  it('signed residuals: each tail at most (1 − level)/2, so an interval can reach further below than above', () => {
    // 19 residuals −90, −80, …, −10, 1, 2, …, 9 (actual − predicted): misses below are large, above small.
    const errors = [
      ...Array.from({ length: 9 }, (_, i) => -10 * (i + 1)),
      0,
      ...Array.from({ length: 9 }, (_, i) => i + 1),
    ];
    const calibration = calibrateIntervals({
      rows: errors.map(() => row('2015-03-02 08:00:00')),
      labels: errors.map((e) => 1000 + e),
      predictions: errors.map(() => 1000),
      source: { rows: 'test rows', model: 'constant' },
      residualKind: 'signed',
    });
    expect(calibration.residualKind).to.equal('signed');
    // n = 19, level 0.8: rank ⌈20 · 0.9⌉ = 18 from either end: the 2nd smallest (−80) and the 18th (8).
    expect(intervalOffsets(calibration, '8w', 0.8)).to.deep.equal([-80, 8]);
    expect(intervalHalfWidth(calibration, '8w', 0.8)).to.equal(44);
    const [[low, high]] = predictionIntervals(calibration, [row('2015-03-09 08:00:00')], [500], 0.8);
    expect([low, high]).to.deep.equal([420, 508]);
    // Absolute residuals of the same errors: rank ⌈20 · 0.8⌉ = 16 of 0, 1, …, 9, 10, 20, …, 90 is 60, both ways.
    const symmetric = calibrateIntervals({
      rows: errors.map(() => row('2015-03-02 08:00:00')),
      labels: errors.map((e) => 1000 + e),
      predictions: errors.map(() => 1000),
      source: { rows: 'test rows', model: 'constant' },
    });
    expect(intervalOffsets(symmetric, '8w', 0.8)).to.deep.equal([-60, 60]);
    // Level 0.95 needs rank ⌈20 · 0.975⌉ = 20 > 19: too few, also in the pool.
    expect(() => intervalOffsets(calibration, '8w', 0.95)).to.throw(/too few for a 0.95 interval/);
  });

  it('covers about the level with skewed errors, narrower than the symmetric interval', () => {
    const rng = createRng(3);
    const make = (n: number) => {
      const rows = [];
      const labels: number[] = [];
      const predictions: number[] = [];
      for (let i = 0; i < n; i++) {
        rows.push(row('2015-03-02 08:00:00'));
        // Exponential misses below (closures), small uniform ones above.
        const e = rng.next() < 0.5 ? -Math.log(1 - rng.next()) * 300 : rng.next() * 50;
        labels.push(3000 + e);
        predictions.push(3000);
      }
      return { rows, labels, predictions };
    };
    const signed = calibrateIntervals({
      ...make(4000),
      source: { rows: 'r', model: 'm' },
      residualKind: 'signed',
    });
    const absolute = calibrateIntervals({ ...make(4000), source: { rows: 'r', model: 'm' } });
    const fresh = make(4000);
    const s = intervalCoverage(fresh.labels, predictionIntervals(signed, fresh.rows, fresh.predictions, 0.9));
    const a = intervalCoverage(
      fresh.labels,
      predictionIntervals(absolute, fresh.rows, fresh.predictions, 0.9),
    );
    expect(s.coverage).to.be.within(0.88, 0.92);
    expect(a.coverage).to.be.within(0.88, 0.92);
    expect(s.meanWidth).to.be.lessThan(0.8 * a.meanWidth);
  });

  it('groups by part of the day × working day when asked', () => {
    const g = (text: string) => intervalGroup(row(text), 'daypart-working-day');
    expect(g('2015-03-02 04:00:00')).to.equal('night-w');
    expect(g('2015-03-02 05:00:00')).to.equal('morning-w');
    expect(g('2015-03-02 14:00:00')).to.equal('midday-w');
    expect(g('2015-03-07 19:00:00')).to.equal('evening-o');
    expect(g('2015-07-03 20:00:00')).to.equal('late-o');
    const calibration = calibrateIntervals({
      rows: [row('2015-03-02 06:00:00'), row('2015-03-02 09:00:00'), row('2015-03-07 23:00:00')],
      labels: [10, 20, 30],
      predictions: [0, 0, 0],
      source: { rows: 'r', model: 'm' },
      residualKind: 'signed',
      groupBy: 'daypart-working-day',
    });
    expect(Object.keys(calibration.residuals).sort()).to.deep.equal(['all', 'late-o', 'morning-w']);
    expect(calibration.residuals['morning-w']).to.deep.equal([10, 20]);
  });

  it('worst-year: each end is the widest of the years’ own, so the interval would have held in every year', () => {
    // 2013 misses far below, 2014 far above; each year has 19 residuals in the group (weekday mornings).
    const year = (y: number, scale: (e: number) => number) =>
      Array.from({ length: 19 }, (_, i) => ({ at: `${y}-03-05 0${6 + (i % 4)}:00:00`, e: scale(i - 9) }));
    const points = [...year(2013, (e) => (e < 0 ? 10 * e : e)), ...year(2014, (e) => (e > 0 ? 10 * e : e))];
    const input = {
      rows: points.map((p) => row(p.at)),
      labels: points.map((p) => 1000 + p.e),
      predictions: points.map(() => 1000),
      source: { rows: 'r', model: 'm' },
      residualKind: 'signed' as const,
      groupBy: 'daypart-working-day' as const,
    };
    const worst = parseIntervalCalibration(
      JSON.parse(JSON.stringify(calibrateIntervals({ ...input, combineYears: 'worst-year' }))),
    );
    const pooled = calibrateIntervals(input);
    // Level 0.8, n = 19 per year: rank 18 from either end: 2013's low end −80 and 2014's high end 80.
    expect(intervalOffsets(worst, 'morning-w', 0.8)).to.deep.equal([-80, 80]);
    // Pooled (n = 38, rank ⌈39 · 0.9⌉ = 36: the 3rd from each end): narrower on both sides.
    expect(intervalOffsets(pooled, 'morning-w', 0.8)).to.deep.equal([-70, 70]);
    for (const y of ['2013', '2014']) {
      const rows = points.filter((p) => p.at.startsWith(y));
      const c = intervalCoverage(
        rows.map((p) => 1000 + p.e),
        predictionIntervals(
          worst,
          rows.map((p) => row(p.at)),
          rows.map(() => 1000),
          0.8,
        ),
      );
      expect(c.coverage, y).to.be.at.least(0.8);
    }
    // A group no year has enough residuals in for the level: the pooled residuals.
    expect(intervalOffsets(worst, 'morning-w', 0.92)).to.deep.equal([-90, 90]);
    expect(() =>
      calibrateIntervals({ ...input, residualKind: 'absolute', combineYears: 'worst-year' }),
    ).to.throw(/needs signed residuals/);
    expect(() => parseIntervalCalibration({ ...worst, byYear: undefined })).to.throw(
      /signed residuals by year/,
    );
    expect(parseIntervalMethod('worst-year')).to.equal('worst-year');
  });

  it('loads calibrations stored before signed residuals and day parts existed; refuses a negative absolute one', () => {
    const old = {
      kind: 'interval-calibration',
      source: { rows: 'validation year 2015', count: 2, model: 'trial-001' },
      groupBy: 'hour-working-day',
      residuals: { all: [1, 5], '8w': [1, 5] },
    };
    const parsed = parseIntervalCalibration(old);
    expect(parsed.residualKind).to.equal(undefined);
    expect(intervalOffsets(parsed, '8w', 0.5)).to.deep.equal([-5, 5]);
    expect(() => parseIntervalCalibration({ ...old, residuals: { all: [-1, 5] } })).to.throw(
      /negative absolute residuals/,
    );
    expect(
      parseIntervalCalibration({ ...old, residualKind: 'signed', residuals: { all: [-1, 5] } }).residuals.all,
    ).to.deep.equal([-1, 5]);
    expect(parseIntervalMethod('validation-year')).to.equal('validation-year');
    expect(() => parseIntervalMethod('bootstrap')).to.throw(/unknown interval calibration "bootstrap"/);
  });
});
