import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import {
  DatasetError,
  PredictionInputError,
  dayOfWeek,
  dedupeRows,
  parseLocalDateTime,
  parsePredictionRows,
  parseTrafficCsv,
  tryParseLocalDateTime,
} from '../../src/ml/dataset';
import type { TrafficRow } from '../../src/ml/types';
import { REAL_DIR, SAMPLE_DIR } from '../support/data-dirs';

const yearFile = (dir: string, year: number) => path.join(dir, `Metro_Interstate_Traffic_Volume_${year}.csv`);

const HEADER =
  'holiday,temp,rain_1h,snow_1h,clouds_all,weather_main,weather_description,date_time,traffic_volume';
const GOOD = [
  HEADER,
  'Labor Day,290.5,0.0,0.0,20,Clear,sky is clear,2015-09-07 00:00:00,1021',
  'None,291.25,1.5,0.0,90,Rain,moderate rain,2015-09-07 01:00:00,640',
  'None,289,0,0,75,Mist,mist,2015-09-07 01:00:00,640',
].join('\n');

describe('parseTrafficCsv', () => {
  it('parses a good file into typed rows', () => {
    const parsed = parseTrafficCsv({ text: GOOD, file: 'good.csv' });
    expect(parsed.badRowCount).to.equal(0);
    expect(parsed.recordCount).to.equal(3);
    expect(parsed.rows).to.have.length(3);
    expect(parsed.rows[1]).to.deep.equal({
      holiday: 'None',
      temp: 291.25,
      rain_1h: 1.5,
      snow_1h: 0,
      clouds_all: 90,
      weather_main: 'Rain',
      weather_description: 'moderate rain',
      date_time: { year: 2015, month: 9, day: 7, hour: 1, minute: 0, second: 0, text: '2015-09-07 01:00:00' },
      traffic_volume: 640,
    });
    expect(parsed.rows[0].holiday).to.equal('Labor Day');
  });

  it('parses numbers exactly as Number() does', () => {
    const values = [
      '288.28',
      '0.0',
      '-3.5',
      '1e3',
      '.5',
      '5.',
      '+2',
      '281.20600000000002',
      '0.1234567890123456789',
    ];
    const text = [HEADER, ...values.map((v) => `None,${v},0,0,40,Clouds,x,2016-01-01 00:00:00,1`)].join('\n');
    const rows = parseTrafficCsv({ text, file: 'n.csv' }).rows;
    expect(rows.map((r) => r.temp)).to.deep.equal(values.map(Number));
  });

  it('reads CRLF line endings, a BOM and quoted fields like plain ones', () => {
    const crlf = `\uFEFF${GOOD.split('\n').join('\r\n')}\r\n`;
    const quoted = GOOD.replace('moderate rain', '"moderate, steady rain"');
    const plain = parseTrafficCsv({ text: GOOD, file: 'a.csv' }).rows;
    expect(parseTrafficCsv({ text: crlf, file: 'b.csv' }).rows).to.deep.equal(plain);
    const viaCsvParse = parseTrafficCsv({ text: quoted, file: 'c.csv' }).rows;
    expect(viaCsvParse[1].weather_description).to.equal('moderate, steady rain');
    expect({ ...viaCsvParse[1], weather_description: 'moderate rain' }).to.deep.equal(plain[1]);
  });

  it('throws DatasetError naming the file and the missing columns', () => {
    const text = GOOD.replace('temp,rain_1h,', '');
    expect(() => parseTrafficCsv({ text, file: 'Metro_Interstate_Traffic_Volume_2016.csv' }))
      .to.throw(DatasetError, 'Metro_Interstate_Traffic_Volume_2016.csv: missing column(s) temp, rain_1h')
      .with.property('file', 'Metro_Interstate_Traffic_Volume_2016.csv');
  });

  it('throws DatasetError on an empty file and on a header without rows', () => {
    expect(() => parseTrafficCsv({ text: '', file: 'empty.csv' })).to.throw(
      DatasetError,
      'empty.csv: empty file',
    );
    expect(() => parseTrafficCsv({ text: '\n\n', file: 'blank.csv' })).to.throw(DatasetError, 'empty file');
    expect(() => parseTrafficCsv({ text: `${HEADER}\n`, file: 'h.csv' })).to.throw(
      DatasetError,
      'h.csv: no data rows',
    );
  });

  it('throws DatasetError on unreadable CSV', () => {
    const text = `${HEADER}\nNone,"290,0,0,1,Clear,x,2016-01-01 00:00:00,5\n`;
    expect(() => parseTrafficCsv({ text, file: 'broken.csv' })).to.throw(
      DatasetError,
      /broken\.csv: unreadable CSV/,
    );
  });

  it('reports malformed rows with their line numbers instead of dropping them silently', () => {
    const lines = [
      HEADER,
      'None,290,0,0,1,Clear,x,2016-01-01 00:00:00,100', // 2 ok
      'None,290,0,0,1,Clear,x,2016-01-01 01:00:00', // 3 field count
      '', // 4 blank: skipped, still counted as a line
      'None,hot,0,0,1,Clear,x,2016-01-01 02:00:00,100', // 5 temp
      'None,290,0,0,1,Clear,x,2016-02-30 03:00:00,100', // 6 date
      'None,290,0,0,1,Clear,x,2016-01-01 04:00:00,-5', // 7 negative
      'None,290,,0,1,Clear,x,2016-01-01 05:00:00,100', // 8 empty number
      'None,290,0,0,1,,x,2016-01-01 06:00:00,100', // 9 empty weather_main
      'None,290,0,0,1,Clear,x,2016-01-01 07:00:00,100', // 10 ok
    ];
    for (const text of [
      lines.join('\n'),
      lines.join('\n').replace('Clear,x,2016-01-01 07', 'Clear,"x",2016-01-01 07'),
    ]) {
      const parsed = parseTrafficCsv({ text, file: 'bad.csv' });
      expect(parsed.rows.map((r) => r.date_time.hour)).to.deep.equal([0, 7]);
      expect(parsed.badRowCount).to.equal(6);
      expect(parsed.recordCount).to.equal(8);
      expect(parsed.badRows.map((b) => b.line)).to.deep.equal([3, 5, 6, 7, 8, 9]);
      expect(parsed.badRows[0].reason).to.equal('expected 9 fields, got 8');
      expect(parsed.badRows[1].reason).to.match(/^temp is not a number/);
      expect(parsed.badRows[2].reason).to.match(/unparsable date_time/);
      expect(parsed.badRows[3].reason).to.match(/negative traffic volume/);
      expect(parsed.badRows[4].reason).to.match(/^rain_1h is not a number/);
      expect(parsed.badRows[5].reason).to.equal('weather_main is empty');
    }
  });

  it('caps the listed bad rows but counts all of them', () => {
    const bad = Array.from({ length: 30 }, () => 'None,x,0,0,1,Clear,x,2016-01-01 00:00:00,1');
    const parsed = parseTrafficCsv({ text: [HEADER, ...bad].join('\n'), file: 'x.csv', maxBadRows: 5 });
    expect(parsed.badRowCount).to.equal(30);
    expect(parsed.badRows).to.have.length(5);
    expect(parsed.rows).to.have.length(0);
  });

  it('honours a custom schema (renamed date and target columns)', () => {
    const text = GOOD.replace('date_time,traffic_volume', 'timestamp,volume');
    const schema = {
      featureColumns: ['temp', 'weather_main'],
      dateTimeColumn: 'timestamp',
      targetColumn: 'volume',
    };
    const rows = parseTrafficCsv({ text, file: 'r.csv', schema }).rows;
    expect(rows[0].traffic_volume).to.equal(1021);
    expect(rows[0].date_time.text).to.equal('2015-09-07 00:00:00');
    expect(() => parseTrafficCsv({ text: GOOD, file: 'r.csv', schema })).to.throw(
      DatasetError,
      'missing column(s) timestamp, volume',
    );
  });
});

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

describe('parsePredictionRows', () => {
  it('accepts numbers given as strings and ignores extra keys', () => {
    const rows = parsePredictionRows([
      {
        holiday: 'None',
        temp: '281.5',
        rain_1h: '0',
        snow_1h: 0,
        clouds_all: '40',
        weather_main: 'Clouds',
        date_time: '2024-10-02 09:00:00',
        traffic_volume: 99,
        note: 'x',
      },
    ]);
    expect(rows).to.deep.equal([
      {
        holiday: 'None',
        temp: 281.5,
        rain_1h: 0,
        snow_1h: 0,
        clouds_all: 40,
        weather_main: 'Clouds',
        date_time: {
          year: 2024,
          month: 10,
          day: 2,
          hour: 9,
          minute: 0,
          second: 0,
          text: '2024-10-02 09:00:00',
        },
      },
    ]);
  });

  it('names the row index and the field in errors', () => {
    const good = {
      holiday: 'None',
      temp: 280,
      rain_1h: 0,
      snow_1h: 0,
      clouds_all: 1,
      weather_main: 'Clear',
      date_time: '2024-01-01 00:00:00',
    };
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ ...good, temp: 'warm' }, 'temp', /expected a number, got "warm"/],
      [{ ...good, clouds_all: undefined }, 'clouds_all', /expected a number/],
      [{ ...good, rain_1h: Number.NaN }, 'rain_1h', /finite/],
      [{ ...good, weather_main: '' }, 'weather_main', /non-empty string/],
      [{ ...good, holiday: null }, 'holiday', /"None"/],
      [{ ...good, date_time: '2024-02-30 00:00:00' }, 'date_time', /invalid date_time/],
    ];
    for (const [row, field, message] of cases) {
      try {
        parsePredictionRows([good, row]);
        expect.fail(`no error for ${field}`);
      } catch (error) {
        expect(error).to.be.instanceOf(PredictionInputError);
        expect((error as PredictionInputError).row).to.equal(1);
        expect((error as PredictionInputError).field).to.equal(field);
        expect((error as Error).message)
          .to.match(new RegExp(`^row 1, field ${field}: `))
          .and.match(message);
      }
    }
    expect(() => parsePredictionRows([good, 'x'])).to.throw(PredictionInputError, 'row 1');
  });
});

function row(hour: number, weatherMain: string, description: string, volume = 100): TrafficRow {
  return {
    holiday: 'None',
    temp: 280,
    rain_1h: 0,
    snow_1h: 0,
    clouds_all: 40,
    weather_main: weatherMain,
    weather_description: description,
    date_time: parseLocalDateTime(`2016-01-01 ${String(hour).padStart(2, '0')}:00:00`),
    traffic_volume: volume,
  };
}

describe('dedupeRows', () => {
  it('keeps the last of rows equal in all seed columns (weather_description is not one) and preserves order', () => {
    const rows = [
      row(0, 'Rain', 'light rain'),
      row(1, 'Clear', 'sky'),
      row(0, 'Rain', 'moderate rain'),
      row(0, 'Mist', 'mist'),
      row(2, 'Clear', 'sky'),
    ];
    const kept = dedupeRows(rows);
    expect(kept).to.deep.equal([rows[1], rows[2], rows[3], rows[4]]);
    expect(kept[1]).to.equal(rows[2]);
  });

  it('keeps rows of the same hour that differ in any seed column', () => {
    const rows = [
      row(0, 'Rain', 'a', 100),
      row(0, 'Rain', 'a', 101),
      row(0, 'Snow', 'a', 100),
      { ...row(0, 'Rain', 'a', 100), holiday: 'X' },
    ];
    expect(dedupeRows(rows)).to.have.length(4);
  });

  /** Reference: pandas drop_duplicates(keep="last") on the seed's columns, restated with string keys. */
  function reference(rows: TrafficRow[]): TrafficRow[] {
    const key = (r: TrafficRow) =>
      [
        r.holiday,
        r.temp,
        r.rain_1h,
        r.snow_1h,
        r.clouds_all,
        r.weather_main,
        r.date_time.text,
        r.traffic_volume,
      ].join('|');
    const lastIndex = new Map(rows.map((r, i) => [key(r), i]));
    return rows.filter((r, i) => lastIndex.get(key(r)) === i);
  }

  it('matches the seed on the full data set (real files when present, else the sample)', () => {
    const realPresent = existsSync(yearFile(REAL_DIR, 2016));
    const dir = realPresent ? REAL_DIR : SAMPLE_DIR;
    const years = realPresent ? [2012, 2013, 2014, 2015, 2016, 2017, 2018] : [2012, 2013, 2014, 2015, 2016];
    const rows = years.flatMap((y) => {
      const parsed = parseTrafficCsv({ text: readFileSync(yearFile(dir, y), 'utf8'), file: `${y}` });
      expect(parsed.badRowCount).to.equal(0);
      return parsed.rows;
    });
    const kept = dedupeRows(rows);
    const expected = reference(rows);
    expect(kept).to.deep.equal(expected);
    expect(kept.length).to.be.lessThan(rows.length);
    if (realPresent) {
      expect(rows).to.have.length(48204);
      expect(kept).to.have.length(47970); // pandas result on the real data
    }
  });

  it('gives the same result on unsorted input', () => {
    const rows = [2015, 2016].flatMap(
      (y) => parseTrafficCsv({ text: readFileSync(yearFile(SAMPLE_DIR, y), 'utf8'), file: `${y}` }).rows,
    );
    // A deterministic shuffle that keeps duplicates apart.
    const shuffled = rows
      .map((r, i) => ({ r, k: (i * 7919) % 10007 }))
      .sort((a, b) => a.k - b.k)
      .map((x) => x.r);
    const twice = [...shuffled, ...shuffled.slice(0, 500)];
    expect(dedupeRows(twice)).to.deep.equal(reference(twice));
    expect(dedupeRows(twice).length).to.be.lessThan(shuffled.length);
  });
});
