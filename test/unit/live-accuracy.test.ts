import { expect } from 'chai';
import { liveAccuracy, type ServedPrediction } from '../../src/monitoring/live-accuracy';

const label = (text: string, traffic_volume?: number) => ({ date_time: { text }, traffic_volume });
const served = (date_time: string, version: number, prediction: number, loggedAt = '2024-01-01T00:00:00Z') =>
  ({ date_time, version, prediction, loggedAt }) satisfies ServedPrediction;

describe('live accuracy: served predictions joined with labelled rows on date_time', () => {
  it('scores each served version on the hours that found a label, with the period', () => {
    const labelled = [
      label('2016-01-01 00:00:00', 100),
      label('2016-01-01 01:00:00', 200),
      label('2016-01-01 02:00:00', 300),
      label('2016-01-01 03:00:00'),
    ];
    const result = liveAccuracy(
      [
        served('2016-01-01 01:00:00', 1, 210),
        served('2016-01-01 00:00:00', 1, 90),
        served('2016-01-01 02:00:00', 2, 330),
        served('2016-01-01 02:00:00', 1, 300),
        served('2016-01-01 03:00:00', 2, 1), // the file has the hour but no label yet
        served('2016-02-01 00:00:00', 2, 1), // not arrived yet
      ],
      labelled,
    );
    expect(result).to.deep.equal({
      matched: 4,
      unmatched: 2,
      duplicates: 0,
      ambiguousLabels: 0,
      byVersion: [
        {
          version: 1,
          rows: 3,
          rmse: Math.sqrt(200 / 3),
          mae: 20 / 3,
          from: '2016-01-01 00:00:00',
          to: '2016-01-01 02:00:00',
        },
        { version: 2, rows: 1, rmse: 30, mae: 30, from: '2016-01-01 02:00:00', to: '2016-01-01 02:00:00' },
      ],
    });
  });

  it('counts an hour served twice by one version once, with the answer served last', () => {
    const result = liveAccuracy(
      [
        served('2016-01-01 00:00:00', 1, 150, '2024-01-02T00:00:00Z'),
        served('2016-01-01 00:00:00', 1, 999, '2024-01-01T00:00:00Z'),
        served('2016-01-01 00:00:00', 1, 120, '2024-01-02T00:00:00Z'),
      ],
      [label('2016-01-01 00:00:00', 100)],
    );
    expect(result).to.include({ matched: 1, duplicates: 2 });
    expect(result.byVersion[0]).to.include({ rows: 1, rmse: 20, mae: 20 });
  });

  it('takes the label of an hour listed once per weather condition, and leaves out disagreeing labels', () => {
    const result = liveAccuracy(
      [served('2016-01-01 00:00:00', 1, 110), served('2016-01-01 01:00:00', 1, 110)],
      [
        label('2016-01-01 00:00:00', 100),
        label('2016-01-01 00:00:00', 100),
        label('2016-01-01 01:00:00', 100),
        label('2016-01-01 01:00:00', 400),
      ],
    );
    expect(result).to.include({ matched: 1, ambiguousLabels: 1, unmatched: 0 });
    expect(result.byVersion).to.deep.equal([
      { version: 1, rows: 1, rmse: 10, mae: 10, from: '2016-01-01 00:00:00', to: '2016-01-01 00:00:00' },
    ]);
  });

  it('is empty, not an error, when nothing was served', () => {
    expect(liveAccuracy([], [label('2016-01-01 00:00:00', 1)])).to.deep.equal({
      matched: 0,
      unmatched: 0,
      duplicates: 0,
      ambiguousLabels: 0,
      byVersion: [],
    });
  });
});
