import { expect } from 'chai';
import { parseLocalDateTime } from '../../src/data/local-date-time';
import {
  assertIntervalLevel,
  calibrateIntervals,
  intervalCoverage,
  intervalGroup,
  intervalHalfWidth,
  parseIntervalCalibration,
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
});
