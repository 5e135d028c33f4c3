import { expect } from 'chai';
import {
  civilFromDays,
  daysFromCivil,
  dayOfWeek,
  parseLocalDateTime,
  tryParseLocalDateTime,
} from '../../src/data/local-date-time';
import { dateTimeFromYears } from '../../src/features/row-times';
import { timeInYears } from '../../src/features/recency-weights';

describe('parseLocalDateTime', () => {
  const originalTz = process.env.TZ;
  afterEach(() => {
    if (originalTz === undefined) delete process.env.TZ;
    else process.env.TZ = originalTz;
  });

  it('keeps the wall-clock time, whatever the process time zone (even in a DST gap)', () => {
    for (const tz of ['America/Chicago', 'Asia/Kolkata', 'UTC']) {
      process.env.TZ = tz;
      const t = parseLocalDateTime('2016-03-13 02:30:00'); // does not exist in Chicago
      expect([t.year, t.month, t.day, t.hour, t.minute, t.second]).to.deep.equal([2016, 3, 13, 2, 30, 0]);
      expect(t.text).to.equal('2016-03-13 02:30:00');
    }
  });

  it('accepts the T separator and a missing seconds field, producing the canonical text', () => {
    expect(parseLocalDateTime('2012-10-02T09:00:00').text).to.equal('2012-10-02 09:00:00');
    expect(parseLocalDateTime('2012-10-02 09:05').text).to.equal('2012-10-02 09:05:00');
    expect(parseLocalDateTime('2016-02-29 23:59:59').day).to.equal(29);
  });

  it('rejects malformed or impossible times', () => {
    for (const bad of [
      '2016-02-30 00:00:00',
      '2015-02-29 00:00:00',
      '2016-13-01 00:00:00',
      '2016-01-01 24:00:00',
      '2016-01-01 10:60:00',
      '10/02/2012 09:00',
      '2016-1-1 00:00:00',
      '2016-01-01',
      '',
    ]) {
      expect(tryParseLocalDateTime(bad), bad).to.equal(undefined);
      expect(() => parseLocalDateTime(bad)).to.throw(/invalid date_time/);
    }
  });
});

describe('dayOfWeek', () => {
  it('matches pandas dayofweek (Monday=0), including the seed test dates', () => {
    expect(
      ['2021-12-01', '2021-12-25', '2021-12-31'].map((d) => dayOfWeek(parseLocalDateTime(`${d} 00:00:00`))),
    ).to.deep.equal([2, 5, 4]);
    expect(dayOfWeek({ year: 1970, month: 1, day: 1 })).to.equal(3);
    expect(dayOfWeek({ year: 2000, month: 2, day: 29 })).to.equal(1);
    expect(dayOfWeek({ year: 1900, month: 3, day: 1 })).to.equal(3);
  });

  it('agrees with the UTC calendar for every day of 2011-2019', () => {
    for (let t = Date.UTC(2011, 0, 1); t < Date.UTC(2020, 0, 1); t += 86_400_000) {
      const d = new Date(t);
      const expected = (d.getUTCDay() + 6) % 7;
      expect(
        dayOfWeek({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() }),
      ).to.equal(expected);
    }
  });
});

describe('civilFromDays and dateTimeFromYears', () => {
  it('civilFromDays inverts daysFromCivil for every day of 1900-2100, and agrees with the UTC calendar', () => {
    const start = daysFromCivil(1900, 1, 1);
    const end = daysFromCivil(2100, 12, 31);
    for (let d = start; d <= end; d++) {
      const { year, month, day } = civilFromDays(d);
      expect(daysFromCivil(year, month, day)).to.equal(d);
      if (d % 97 === 0) {
        const utc = new Date(d * 86_400_000);
        expect([year, month, day]).to.deep.equal([
          utc.getUTCFullYear(),
          utc.getUTCMonth() + 1,
          utc.getUTCDate(),
        ]);
      }
    }
  });

  it('dateTimeFromYears gives back every hour of 2012-2016 from its stored row time (six decimals)', () => {
    for (let d = daysFromCivil(2012, 1, 1); d <= daysFromCivil(2016, 12, 31); d++) {
      const { year, month, day } = civilFromDays(d);
      for (let hour = 0; hour < 24; hour++) {
        const stored = Math.round(timeInYears({ year, month, day, hour }) * 1e6) / 1e6;
        const back = dateTimeFromYears(stored);
        expect([back.year, back.month, back.day, back.hour]).to.deep.equal([year, month, day, hour]);
      }
    }
    expect(dateTimeFromYears(timeInYears({ year: 2015, month: 3, day: 2, hour: 8 })).text).to.equal(
      '2015-03-02 08:00:00',
    );
  });
});
