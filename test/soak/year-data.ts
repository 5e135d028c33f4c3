/** The CSV files the simulated year puts in the bucket: synthetic years, cut by month, drifted or damaged. */
import { generateYear } from '../../src/data/synthetic';

/** One kept hour in six: a year is about 1,460 rows, enough for PSI (≥ 500 rows) and quick to train on. */
const HOURS_STEP = 6;

const HEADER_END = '\n';

function split(text: string): { header: string; rows: string[] } {
  const [header, ...rows] = text.trimEnd().split('\n');
  return { header, rows };
}

/** The `date_time` column is the 8th of the raw schema: `YYYY-MM-DD hh:mm:ss`. */
function monthOf(row: string): number {
  return Number(row.split(',')[7].slice(5, 7));
}

export function fullYear(year: number): string {
  return generateYear({ year, seed: year, hoursStep: HOURS_STEP });
}

/** January … `lastMonth` of `year`, as the current year's file stands at the end of that month. */
export function yearThrough(year: number, lastMonth: number, driftedMonth?: number): string {
  const { header, rows } = split(fullYear(year));
  const kept = rows
    .filter((r) => monthOf(r) <= lastMonth)
    .map((r) => (monthOf(r) === driftedMonth ? drift(r) : r));
  return [header, ...kept].join('\n') + HEADER_END;
}

/**
 * A month unlike any before it: summer temperatures, overcast, and dust storms (OpenWeather's `Dust`, never
 * seen in training), with traffic a third lower. PSI flags weather_main.
 */
function drift(row: string): string {
  const f = row.split(',');
  f[1] = String(Number(f[1]) + 30);
  f[4] = '100';
  f[5] = 'Dust';
  f[6] = 'sand/dust whirls';
  f[8] = String(Math.round(Number(f[8]) * 0.66));
  return f.join(',');
}

/** A header naming `temperature` where `temp` belongs: the file cannot be read with the schema. */
export function brokenHeader(text: string): string {
  return text.replace(/^holiday,temp,/, 'holiday,temperature,');
}

/** Every `every`-th data row's traffic_volume made unreadable: 1/every of the rows are bad. */
export function withBadRows(text: string, every: number): { text: string; bad: number; rows: number } {
  const { header, rows } = split(text);
  let bad = 0;
  const damaged = rows.map((r, i) => {
    if (i % every !== every - 1) return r;
    bad++;
    return r.replace(/,\d+$/, ',not-a-number');
  });
  return { text: [header, ...damaged].join('\n') + HEADER_END, bad, rows: rows.length };
}
