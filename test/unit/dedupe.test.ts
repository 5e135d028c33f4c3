import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { dedupeRows } from '../../src/data/dedupe';
import { parseLocalDateTime } from '../../src/data/local-date-time';
import { parseTrafficCsv } from '../../src/data/traffic-csv';
import type { TrafficRow } from '../../src/contracts/domain';
import { REAL_DIR, SAMPLE_DIR } from '../support/data-dirs';

const yearFile = (dir: string, year: number) => path.join(dir, `Metro_Interstate_Traffic_Volume_${year}.csv`);

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
