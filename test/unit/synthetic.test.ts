import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { generateYear, generateYearRecords, toCsv, usHolidays } from '../../src/data/synthetic';
import { dayOfWeek } from '../../src/data/local-date-time';
import { parseTrafficCsv } from '../../src/data/traffic-csv';
import { RAW_COLUMNS } from '../../src/contracts/domain';

const ROOT = path.resolve(__dirname, '..', '..', '..');

describe('synthetic data', () => {
  const text = generateYear({ year: 2016, seed: 42 });
  const parsed = parseTrafficCsv({ text, file: 'synthetic_2016.csv' });
  const rows = parsed.rows;

  it('has the real schema and parses without bad rows', () => {
    expect(text.split('\n')[0]).to.equal(RAW_COLUMNS.join(','));
    expect(parsed.badRowCount).to.equal(0);
    expect(rows.length).to.be.greaterThan(366 * 24);
  });

  it('is deterministic for a seed', () => {
    expect(generateYear({ year: 2016, seed: 42, hoursStep: 3 })).to.equal(
      generateYear({ year: 2016, seed: 42, hoursStep: 3 }),
    );
    expect(generateYear({ year: 2016, seed: 42, hoursStep: 3 })).to.not.equal(
      generateYear({ year: 2016, seed: 43, hoursStep: 3 }),
    );
  });

  it('has weekday rush-hour peaks, quieter weekends and night lows', () => {
    const mean = (filter: (r: (typeof rows)[number]) => boolean) => {
      const picked = rows.filter(filter);
      return picked.reduce((s, r) => s + (r.traffic_volume ?? 0), 0) / picked.length;
    };
    const weekday = (r: (typeof rows)[number]) => dayOfWeek(r.date_time) < 5 && r.date_time.month !== 12;
    const am = mean((r) => weekday(r) && (r.date_time.hour === 7 || r.date_time.hour === 8));
    const pm = mean((r) => weekday(r) && (r.date_time.hour === 16 || r.date_time.hour === 17));
    const night = mean((r) => r.date_time.hour >= 1 && r.date_time.hour <= 3);
    const weekendAm = mean((r) => dayOfWeek(r.date_time) >= 5 && r.date_time.hour === 7);
    expect(am).to.be.within(5500, 7000);
    expect(pm).to.be.within(5500, 7000);
    expect(night).to.be.within(300, 800);
    expect(weekendAm).to.be.below(am / 2);
  });

  it('marks holidays only on the 00:00 row of the day, with lower volume that day', () => {
    const marked = rows.filter((r) => r.holiday !== 'None');
    expect(marked.map((r) => r.holiday)).to.include.members([
      'New Years Day',
      'Thanksgiving Day',
      'Christmas Day',
      'State Fair',
    ]);
    expect(marked.every((r) => r.date_time.hour === 0)).to.equal(true);
    expect(new Set(marked.map((r) => r.holiday)).size).to.equal(11);
    const thanksgiving = marked.find((r) => r.holiday === 'Thanksgiving Day')!;
    expect(thanksgiving.date_time.text).to.equal('2016-11-24 00:00:00');
    const at8 = (day: number) =>
      rows.find((r) => r.date_time.month === 11 && r.date_time.day === day && r.date_time.hour === 8)!
        .traffic_volume!;
    expect(at8(24)).to.be.below(at8(17) * 0.7);
  });

  it('knows the US holidays of a year', () => {
    const h = usHolidays(2016);
    expect(h.get('1-18')).to.equal('Martin Luther King Jr Day');
    expect(h.get('5-30')).to.equal('Memorial Day');
    expect(h.get('9-5')).to.equal('Labor Day');
    expect(h.get('8-25')).to.equal('State Fair');
    expect(h.size).to.equal(11);
  });

  it('has seasonal Kelvin temperatures, all weather kinds and duplicated hours', () => {
    const monthTemp = (m: number) => {
      const picked = rows.filter((r) => r.date_time.month === m);
      return picked.reduce((s, r) => s + r.temp, 0) / picked.length;
    };
    expect(monthTemp(1)).to.be.within(255, 272);
    expect(monthTemp(7)).to.be.within(290, 300);
    const kinds = new Set(
      [2012, 2013, 2014, 2015, 2016].flatMap((year) =>
        generateYearRecords({ year, seed: 42, hoursStep: 3 }).map((r) => r.weather_main),
      ),
    );
    expect([...kinds].sort()).to.deep.equal([
      'Clear',
      'Clouds',
      'Drizzle',
      'Fog',
      'Haze',
      'Mist',
      'Rain',
      'Smoke',
      'Snow',
      'Squall',
      'Thunderstorm',
    ]);
    const perHour = new Map<string, number>();
    for (const r of rows) perHour.set(r.date_time.text, (perHour.get(r.date_time.text) ?? 0) + 1);
    const duplicated = [...perHour.values()].filter((n) => n > 1).length;
    expect(duplicated).to.be.within(rows.length * 0.01, rows.length * 0.2);
    expect(rows.filter((r) => r.weather_main === 'Snow').every((r) => r.temp < 280)).to.equal(true);
  });

  it('covers every hour of the day when only every 3rd hour is kept', () => {
    const sparse = parseTrafficCsv({
      text: generateYear({ year: 2015, seed: 1, hoursStep: 3 }),
      file: 's',
    }).rows;
    expect(sparse.length).to.be.within(2920, 3400);
    expect(new Set(sparse.map((r) => r.date_time.hour)).size).to.equal(24);
  });

  it('generate-sample writes an extra year file with --years and --out', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'sample-'));
    try {
      execFileSync(process.execPath, [
        path.join(ROOT, 'dist', 'scripts', 'generate-sample.js'),
        '--years',
        '2017',
        '--out',
        out,
      ]);
      const file = readFileSync(path.join(out, 'Metro_Interstate_Traffic_Volume_2017.csv'), 'utf8');
      const sample = parseTrafficCsv({ text: file, file: '2017' });
      expect(sample.rows.length).to.be.at.least(1500);
      expect(sample.rows.every((r) => r.date_time.year === 2017)).to.equal(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('ships a committed sample of 2012-2016 under ~1.5 MB', () => {
    let total = 0;
    for (let year = 2012; year <= 2016; year++) {
      const file = readFileSync(
        path.join(ROOT, 'data', 'sample', `Metro_Interstate_Traffic_Volume_${year}.csv`),
        'utf8',
      );
      total += file.length;
      expect(parseTrafficCsv({ text: file, file: `${year}` }).rows.length).to.be.at.least(1500);
    }
    expect(total).to.be.below(1.5e6);
  });
  it('scales by stations: station 0 is the single-station data, rows grow with the stations, time stays sorted', () => {
    const one = generateYearRecords({ year: 2015, seed: 7, hoursStep: 6 });
    const three = generateYearRecords({ year: 2015, seed: 7, hoursStep: 6, stations: 3 });
    expect(toCsv(generateYearRecords({ year: 2015, seed: 7, hoursStep: 6, stations: 1 }))).to.equal(
      toCsv(one),
    );
    expect(three.length / one.length).to.be.within(2.7, 3.3);
    const times = three.map((r) => r.date_time);
    expect(times).to.deep.equal([...times].sort());
    // Station 0's rows of each hour come first in that hour's group, exactly as generated alone.
    const firstOfHour = new Map<string, string>();
    for (const r of three) if (!firstOfHour.has(r.date_time)) firstOfHour.set(r.date_time, toCsv([r]));
    const aloneFirst = new Map<string, string>();
    for (const r of one) if (!aloneFirst.has(r.date_time)) aloneFirst.set(r.date_time, toCsv([r]));
    expect(firstOfHour).to.deep.equal(aloneFirst);
    // Stations differ in traffic level, not only in noise.
    const mean = (rs: typeof three) => rs.reduce((s, r) => s + Number(r.traffic_volume), 0) / rs.length;
    expect(Math.abs(mean(three) / mean(one) - 1)).to.be.greaterThan(0.01);
    const parsed = parseTrafficCsv({ text: toCsv(three), file: 'three-stations.csv' });
    expect(parsed.badRowCount).to.equal(0);
  });
});
