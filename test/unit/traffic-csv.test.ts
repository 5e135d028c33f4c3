import { expect } from 'chai';
import { DatasetError, parseTrafficCsv } from '../../src/data/traffic-csv';

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

  it('gives adjacent lines of the same hour (several stations) one shared date-time value', () => {
    const rows = parseTrafficCsv({ text: GOOD, file: 'good.csv' }).rows;
    expect(rows[1].date_time).to.equal(rows[2].date_time);
    expect(rows[0].date_time).to.not.equal(rows[1].date_time);
    expect(rows[0].date_time.text).to.equal('2015-09-07 00:00:00');
    const other = parseTrafficCsv({
      text: GOOD.replace(/2015-09-07 01:00:00,640$/, '2015-09-07 02:00:00,640'),
      file: 'x.csv',
    });
    expect(other.rows[2].date_time.hour).to.equal(2);
    expect(other.rows[1].date_time.hour).to.equal(1);
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
