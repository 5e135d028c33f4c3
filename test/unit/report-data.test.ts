import { expect } from 'chai';
import { parseLocalDateTime } from '../../src/data/local-date-time';
import type { Explanation } from '../../src/engines/explain';
import { escapeHtml } from '../../src/report/chart-figures';
import {
  beeswarmPoints,
  convergence,
  errorBreakdown,
  parameterPoints,
  typicalWeek,
} from '../../src/report/report-data';
import { weekChart } from '../../src/report/charts';

const params = {
  n_estimators: 100,
  max_depth: 4,
  learning_rate: 0.1,
  gamma: 0,
  reg_alpha: 0,
  reg_lambda: 1,
  subsample: 1,
  colsample_bytree: 1,
  seed: 3,
};

describe('run report data', function () {
  it('orders trials by number and tracks the best RMSE so far; failed trials have no point', function () {
    const trials = [
      { trialId: 'trial-002', params, metrics: { rmse: 500, mae: 1, r2: 0 } },
      { trialId: 'trial-000', params, metrics: { rmse: 600, mae: 1, r2: 0 } },
      { trialId: 'trial-001', params, error: 'boom' },
      { trialId: 'trial-003', params, metrics: { rmse: 550, mae: 1, r2: 0 } },
    ];
    expect(convergence(trials)).to.deep.equal([
      { trial: 0, rmse: 600, best: 600 },
      { trial: 2, rmse: 500, best: 500 },
      { trial: 3, rmse: 550, best: 500 },
    ]);
    const points = parameterPoints(trials);
    expect(points.filter((p) => p.param === 'max_depth')).to.have.length(3);
    expect(points.some((p) => p.param === 'seed')).to.equal(false);
  });

  it('breaks errors down by hour × weekday and by month, and picks a typical full week', function () {
    // Two weeks of hourly rows from Monday 2016-03-07; the second week's errors are 10x the first's.
    const times = Array.from({ length: 24 * 14 }, (_, i) => {
      const day = 7 + Math.floor(i / 24);
      return parseLocalDateTime(
        `2016-03-${String(day).padStart(2, '0')} ${String(i % 24).padStart(2, '0')}:00:00`,
      );
    });
    const actual = Float32Array.from(times, () => 1000);
    const predicted = Float32Array.from(times, (_, i) => 1000 + (i < 24 * 7 ? 10 : 100));
    const { byHourAndDay, byMonth } = errorBreakdown({ times, actual, predicted });
    expect(byHourAndDay).to.have.length(24 * 7);
    const mondayEight = byHourAndDay.find((c) => c.day === 'Mon' && c.hour === 8);
    expect(mondayEight?.rows).to.equal(2);
    expect(mondayEight?.rmse).to.be.closeTo(Math.sqrt((10 ** 2 + 100 ** 2) / 2), 1e-9);
    expect(byMonth).to.deep.equal([
      { month: 'Mar', rmse: Math.sqrt((10 ** 2 + 100 ** 2) / 2), bias: 55, rows: 24 * 14 },
    ]);
    // Overall RMSE ≈ 71: the 100-error week (RMSE 100) is closer than the 10-error one.
    const week = typicalWeek({ times, actual, predicted });
    expect(week?.label).to.equal('2016-03-14 – 2016-03-20');
    expect(week?.points).to.have.length(2 * 24 * 7);
  });

  it('carries the prediction interval of the typical week as a band, with the week’s coverage', function () {
    const times = Array.from({ length: 24 * 7 }, (_, i) => {
      const day = 14 + Math.floor(i / 24);
      return parseLocalDateTime(`2016-03-${day} ${String(i % 24).padStart(2, '0')}:00:00`);
    });
    const actual = Float32Array.from(times, (_, i) => (i % 4 === 0 ? 1300 : 1000));
    const predicted = Float32Array.from(times, () => 1050);
    const bounds = times.map((): [number, number] => [900.4, 1200.6]);
    const week = typicalWeek({ times, actual, predicted, intervals: { level: 0.9, bounds } });
    expect(week?.band).to.have.length(24 * 7);
    expect(week?.band?.[0]).to.deep.equal({ time: '2016-03-14T00:00:00', low: 900, high: 1201 });
    expect(week?.coverage).to.equal(0.75);
    expect(weekChart(week!.points, week!.band).layer).to.have.length(2);
    expect(typicalWeek({ times, actual, predicted })?.band).to.equal(undefined);
  });

  it('stacks beeswarm points around zero offset and ranks the colouring value', function () {
    const explanation: Explanation = {
      columns: ['hour', 'weather_main'],
      rows: 4,
      predictions: new Float32Array(4),
      bias: 0,
      contributions: Float64Array.from([1, 0, 1, 0, 1, 0, 5, 0]),
    };
    const values = Float64Array.from([0, NaN, 1, NaN, 2, NaN, 3, NaN]);
    const points = beeswarmPoints(explanation, values, 10, 4);
    const hour = points.filter((p) => p.column === 'hour');
    expect(hour.map((p) => p.valueRank)).to.deep.equal([0, 0.33, 0.67, 1]);
    expect(hour.slice(0, 3).map((p) => p.offset)).to.deep.equal([0, -0.333, 0.333]);
    expect(points.filter((p) => p.column === 'weather_main').every((p) => p.valueRank === -1)).to.equal(true);
  });

  it('escapes text for HTML', function () {
    expect(escapeHtml(`<a href="x">'&'</a>`)).to.equal(
      '&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;',
    );
  });
});
