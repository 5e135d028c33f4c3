import { expect } from 'chai';
import { refreshRecordPairs, type RecordModel } from '../../src/evaluation/refresh-record';

const row = (dateTime: string) => ({ dateTime });

describe('refresh record: each row predicted by the refit made before its month and the model made before its year', () => {
  // v1 fitted through 2015, v2 through January 2016, v3 through February 2016, v4 through March 2016.
  const models: RecordModel[] = [
    { version: 1, trainedThrough: '2015-12-31 23:00:00' },
    { version: 2, trainedThrough: '2016-01-31 23:00:00' },
    { version: 3, trainedThrough: '2016-02-29 23:00:00' },
    { version: 4, trainedThrough: '2016-03-31 23:00:00' },
  ];

  it('pairs the newest refit before the row’s month with the newest model before its year', () => {
    const rows = [
      row('2016-01-10 08:00:00'), // January: the refit before it is v1, the year's model: nothing refitted
      row('2016-02-10 08:00:00'), // February: v2 against v1
      row('2016-03-01 00:00:00'), // March: v3 against v1
      row('2016-03-20 17:00:00'),
      row('2016-02-29 23:00:00'), // still February (v3 was fitted on it): v2 against v1
    ];
    const pairs = refreshRecordPairs(models, rows);
    expect(pairs).to.deep.equal([
      { refit: 2, yearModel: 1, rows: [1, 4] },
      { refit: 3, yearModel: 1, rows: [2, 3] },
    ]);
  });

  it('never gives a row to a model fitted on it or after it', () => {
    const rows = ['2016-01-05', '2016-02-05', '2016-03-05', '2016-04-05', '2017-01-05', '2017-05-05'].map(
      (d) => row(`${d} 12:00:00`),
    );
    const withNewYear = [...models, { version: 5, trainedThrough: '2016-12-31 23:00:00' }];
    for (const pair of refreshRecordPairs(withNewYear, rows)) {
      for (const i of pair.rows) {
        for (const v of [pair.refit, pair.yearModel]) {
          const fitted = withNewYear.find((m) => m.version === v)?.trainedThrough as string;
          expect(fitted < rows[i].dateTime, `v${v} on ${rows[i].dateTime}`).to.equal(true);
        }
      }
    }
    // 2017: the year's model is v5 (fitted through 2016); in January it is also the newest refit: no evidence.
    const pairs2017 = refreshRecordPairs(withNewYear, rows).filter((p) => p.rows.some((i) => i >= 4));
    expect(pairs2017).to.deep.equal([]);
  });

  it('leaves out rows without a model made before their month', () => {
    expect(refreshRecordPairs(models, [row('2015-06-01 00:00:00')])).to.deep.equal([]);
    expect(refreshRecordPairs(models, [row('2016-01-31 23:00:00')])).to.deep.equal([]);
    expect(refreshRecordPairs([], [row('2016-06-01 00:00:00')])).to.deep.equal([]);
  });

  it('without a model made before the year, the first model made stands for the year’s model', () => {
    // The loop started in March 2015: v1 fitted through February, v2 through March, v3 through April.
    const started: RecordModel[] = [
      { version: 1, trainedThrough: '2015-02-28 23:00:00' },
      { version: 2, trainedThrough: '2015-03-31 23:00:00' },
      { version: 3, trainedThrough: '2015-04-30 23:00:00' },
    ];
    const rows = [row('2015-03-15 00:00:00'), row('2015-04-15 00:00:00'), row('2015-05-15 00:00:00')];
    expect(refreshRecordPairs(started, rows)).to.deep.equal([
      { refit: 2, yearModel: 1, rows: [1] },
      { refit: 3, yearModel: 1, rows: [2] },
    ]);
  });

  it('between two refits fitted through the same instant, takes the later version', () => {
    const tied = [...models, { version: 9, trainedThrough: '2016-01-31 23:00:00' }];
    expect(refreshRecordPairs(tied, [row('2016-02-02 00:00:00')])).to.deep.equal([
      { refit: 9, yearModel: 1, rows: [0] },
    ]);
  });
});
