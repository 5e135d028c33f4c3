/**
 * A small, realistic synthetic stand-in for the UCI "Metro Interstate Traffic Volume" data, with the
 * exact schema, so everything runs and is tested without the real file. Deterministic for a seed.
 */
import { RAW_COLUMNS } from '../contracts/domain';
import { dayOfWeek } from './local-date-time';
import { createRng, type Rng } from '../common/random';

export const SAMPLE_FILE_PREFIX = 'Metro_Interstate_Traffic_Volume';

export function yearFileName(prefix: string, year: number): string {
  return `${prefix}_${year}.csv`;
}

/** One CSV record, every field already formatted as text. */
export type SyntheticRecord = Record<(typeof RAW_COLUMNS)[number], string>;

export interface GenerateYearInput {
  year: number;
  seed: number;
  /**
   * Keep one hour in `hoursStep` (default 1 = every hour). The kept hours rotate from day to day, so all
   * 24 hours of the daily pattern are present in every year.
   */
  hoursStep?: number;
  /**
   * Independent stations reporting the same hours (default 1): each has its own weather draw and traffic
   * level, and their rows of one hour are adjacent, so a year file stays time-sorted with the same schema.
   * Station 0 is the single-station data exactly; `stations: 10` is ten times as many rows.
   */
  stations?: number;
}

/** Vehicles per hour on an ordinary weekday and on a Saturday (Sunday is a little lower). */
const WEEKDAY = [
  800, 450, 350, 380, 900, 2800, 5200, 6500, 6300, 5000, 4500, 4700, 4900, 5000, 5300, 5800, 6400, 6200, 4700,
  3500, 3000, 2700, 2100, 1300,
];
const SATURDAY = [
  1400, 1000, 750, 500, 450, 650, 1100, 1700, 2500, 3300, 3900, 4300, 4500, 4600, 4600, 4500, 4400, 4300,
  3900, 3400, 3000, 2800, 2400, 1800,
];

interface WeatherKind {
  main: string;
  /** [description, relative weight]; per-description cloud ranges are in DESCRIPTION_CLOUDS. */
  descriptions: [string, number][];
  clouds: [number, number];
  rain: [number, number];
  snow: [number, number];
  /** Multiplier on traffic volume. */
  effect: number;
}

const WEATHER: Record<string, WeatherKind> = {
  Clear: {
    main: 'Clear',
    descriptions: [['sky is clear', 1]],
    clouds: [0, 5],
    rain: [0, 0],
    snow: [0, 0],
    effect: 1.0,
  },
  Clouds: {
    main: 'Clouds',
    descriptions: [
      ['few clouds', 1],
      ['scattered clouds', 1.2],
      ['broken clouds', 1.5],
      ['overcast clouds', 1.3],
    ],
    clouds: [20, 100],
    rain: [0, 0],
    snow: [0, 0],
    effect: 1.0,
  },
  Mist: {
    main: 'Mist',
    descriptions: [['mist', 1]],
    clouds: [40, 100],
    rain: [0, 0],
    snow: [0, 0],
    effect: 0.97,
  },
  Haze: {
    main: 'Haze',
    descriptions: [['haze', 1]],
    clouds: [1, 90],
    rain: [0, 0],
    snow: [0, 0],
    effect: 0.98,
  },
  Fog: {
    main: 'Fog',
    descriptions: [['fog', 1]],
    clouds: [75, 100],
    rain: [0, 0],
    snow: [0, 0],
    effect: 0.9,
  },
  Smoke: {
    main: 'Smoke',
    descriptions: [['smoke', 1]],
    clouds: [1, 40],
    rain: [0, 0],
    snow: [0, 0],
    effect: 0.97,
  },
  Rain: {
    main: 'Rain',
    descriptions: [
      ['light rain', 3],
      ['moderate rain', 1.2],
      ['heavy intensity rain', 0.3],
    ],
    clouds: [40, 100],
    rain: [0.25, 6],
    snow: [0, 0],
    effect: 0.94,
  },
  Drizzle: {
    main: 'Drizzle',
    descriptions: [
      ['light intensity drizzle', 2],
      ['drizzle', 1],
    ],
    clouds: [60, 100],
    rain: [0, 0.5],
    snow: [0, 0],
    effect: 0.97,
  },
  Snow: {
    main: 'Snow',
    descriptions: [
      ['light snow', 3],
      ['snow', 1],
      ['heavy snow', 0.4],
    ],
    clouds: [60, 100],
    rain: [0, 0],
    snow: [0, 0.5],
    effect: 0.82,
  },
  Thunderstorm: {
    main: 'Thunderstorm',
    descriptions: [
      ['thunderstorm with light rain', 1.5],
      ['thunderstorm', 1],
      ['thunderstorm with heavy rain', 0.5],
    ],
    clouds: [40, 100],
    rain: [0.5, 8],
    snow: [0, 0],
    effect: 0.9,
  },
  Squall: {
    main: 'Squall',
    descriptions: [['SQUALLS', 1]],
    clouds: [75, 100],
    rain: [0, 2],
    snow: [0, 0],
    effect: 0.85,
  },
};

const DESCRIPTION_CLOUDS: Record<string, [number, number]> = {
  'few clouds': [12, 24],
  'scattered clouds': [25, 50],
  'broken clouds': [51, 84],
  'overcast clouds': [85, 100],
};

/** Relative frequency of each weather_main in winter (Dec-Mar) and summer (Jun-Aug); other months blend. */
const WINTER_WEIGHTS: Record<string, number> = {
  Clear: 24,
  Clouds: 34,
  Mist: 12,
  Haze: 4,
  Fog: 2,
  Smoke: 0,
  Rain: 3,
  Drizzle: 1,
  Snow: 20,
  Thunderstorm: 0,
  Squall: 0.02,
};
const SUMMER_WEIGHTS: Record<string, number> = {
  Clear: 30,
  Clouds: 30,
  Mist: 8,
  Haze: 2,
  Fog: 1.5,
  Smoke: 0.15,
  Rain: 16,
  Drizzle: 5,
  Snow: 0,
  Thunderstorm: 6,
  Squall: 0.02,
};

/** A second weather_main the source reports for the same hour (the real data repeats the hour's row). */
const COMPANION: Record<string, string[]> = {
  Rain: ['Mist', 'Thunderstorm', 'Fog'],
  Snow: ['Mist', 'Haze', 'Fog'],
  Drizzle: ['Mist', 'Rain'],
  Mist: ['Rain', 'Fog', 'Snow'],
  Thunderstorm: ['Rain', 'Mist'],
  Fog: ['Mist'],
  Haze: ['Snow'],
};

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
}

/** Day of month of the n-th (1-based; -1 = last) given weekday (Monday=0) of a month. */
function nthWeekday(year: number, month: number, weekday: number, n: number): number {
  if (n > 0) {
    const first = dayOfWeek({ year, month, day: 1 });
    return 1 + ((weekday - first + 7) % 7) + (n - 1) * 7;
  }
  const last = daysIn(year, month);
  const lastDow = dayOfWeek({ year, month, day: last });
  return last - ((lastDow - weekday + 7) % 7);
}

/** The holidays the real data marks, keyed "M-D". */
export function usHolidays(year: number): Map<string, string> {
  const labor = nthWeekday(year, 9, 0, 1);
  // Minnesota State Fair: the Thursday 11 days before Labor Day (always in late August).
  const stateFair = labor + 31 - 11;
  const entries: [number, number, string][] = [
    [1, 1, 'New Years Day'],
    [1, nthWeekday(year, 1, 0, 3), 'Martin Luther King Jr Day'],
    [2, nthWeekday(year, 2, 0, 3), 'Washingtons Birthday'],
    [5, nthWeekday(year, 5, 0, -1), 'Memorial Day'],
    [7, 4, 'Independence Day'],
    [8, stateFair, 'State Fair'],
    [9, labor, 'Labor Day'],
    [10, nthWeekday(year, 10, 0, 2), 'Columbus Day'],
    [11, 11, 'Veterans Day'],
    [11, nthWeekday(year, 11, 3, 4), 'Thanksgiving Day'],
    [12, 25, 'Christmas Day'],
  ];
  return new Map(entries.map(([m, d, name]) => [`${m}-${d}`, name]));
}

function pick<T>(rng: Rng, items: [T, number][]): T {
  const total = items.reduce((s, [, w]) => s + w, 0);
  let u = rng.next() * total;
  for (const [item, w] of items) {
    u -= w;
    if (u < 0) return item;
  }
  return items[items.length - 1][0];
}

function gaussian(rng: Rng): number {
  const u = Math.max(rng.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

function between(rng: Rng, [low, high]: [number, number]): number {
  return low + (high - low) * rng.next();
}

/** Like pandas' float output: at least one decimal, at most `decimals`. */
function formatFloat(value: number, decimals: number): string {
  const text = value.toFixed(decimals).replace(/0+$/, '');
  return text.endsWith('.') ? `${text}0` : text;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** 0 in mid-January … 1 in mid-July. */
function summerness(dayOfYear: number): number {
  return (1 - Math.cos((2 * Math.PI * (dayOfYear - 15)) / 365)) / 2;
}

/** No snow when warm, no rain when well below freezing. */
function plausible(main: string, temp: number): boolean {
  if (main === 'Snow') return temp <= 276;
  if (main === 'Rain' || main === 'Drizzle' || main === 'Thunderstorm') return temp >= 271;
  return true;
}

function weatherWeights(summer: number, temp: number): [string, number][] {
  return Object.keys(WEATHER).map((main) => [
    main,
    plausible(main, temp) ? WINTER_WEIGHTS[main] * (1 - summer) + SUMMER_WEIGHTS[main] * summer : 0,
  ]);
}

export function generateYearRecords(input: GenerateYearInput): SyntheticRecord[] {
  const records: SyntheticRecord[] = [];
  for (const hour of generateYearHours(input)) for (const r of hour) records.push(r);
  return records;
}

/** Station k's traffic level relative to station 0 (0.55 … 1.45), fixed by the seed. */
function stationLevel(seed: number, station: number): number {
  if (station === 0) return 1;
  return 0.55 + 0.9 * createRng((seed * 104_729 + station * 7_919) >>> 0).next();
}

/**
 * The records of one year, one kept hour at a time (every station's rows of that hour together): what the
 * generator streams, so a 100× data set never needs to be held in memory.
 */
export function* generateYearHours(input: GenerateYearInput): Generator<SyntheticRecord[]> {
  const stations = input.stations ?? 1;
  if (!Number.isInteger(stations) || stations < 1)
    throw new Error(`stations must be a positive integer, got ${stations}`);
  const each = Array.from({ length: stations }, (_, station) => stationHours(input, station));
  for (;;) {
    const hour: SyntheticRecord[] = [];
    for (const station of each) {
      const next = station.next();
      if (next.done) return;
      for (const r of next.value) hour.push(r);
    }
    yield hour;
  }
}

/** One station's year, one kept hour at a time; station 0 draws exactly the single-station sequence. */
function* stationHours(input: GenerateYearInput, station: number): Generator<SyntheticRecord[]> {
  const { year } = input;
  const step = input.hoursStep ?? 1;
  if (!Number.isInteger(step) || step < 1 || step > 24)
    throw new Error(`hoursStep must be an integer 1-24, got ${step}`);
  const rng = createRng((input.seed * 7919 + year + station * 1_000_003) >>> 0);
  const level = stationLevel(input.seed, station);
  const holidays = usHolidays(year);
  let dayAnomaly = 0;
  let weather = 'Clouds';
  let dayOfYear = 0;

  for (let month = 1; month <= 12; month++) {
    for (let day = 1; day <= daysIn(year, month); day++) {
      dayOfYear++;
      const summer = summerness(dayOfYear);
      dayAnomaly = 0.7 * dayAnomaly + 2.5 * gaussian(rng);
      const dow = dayOfWeek({ year, month, day });
      const holiday = holidays.get(`${month}-${day}`);
      const weekendLike = dow >= 5 || holiday !== undefined;
      const dayFactor = (holiday !== undefined ? 0.8 : dow === 6 ? 0.9 : 1) * (0.95 + 0.07 * summer);

      for (let hour = 0; hour < 24; hour++) {
        const keep = (hour + dayOfYear) % step === 0 || (hour === 0 && holiday !== undefined);
        const temp =
          264.5 +
          32 * summer +
          dayAnomaly +
          5 * Math.sin((2 * Math.PI * (hour - 9)) / 24) +
          0.6 * gaussian(rng);
        if (rng.next() < 0.12) weather = pick(rng, weatherWeights(summer, temp));
        if (
          (weather === 'Snow' && temp > 277) ||
          ((weather === 'Rain' || weather === 'Thunderstorm') && temp < 270)
        ) {
          weather = 'Clouds';
        }
        if (!keep) continue;

        const kind = WEATHER[weather];
        const profile = weekendLike
          ? SATURDAY[hour] * (dow === 6 && holiday === undefined ? 1 : 0.95)
          : WEEKDAY[hour];
        const volume = Math.max(
          0,
          Math.round(level * profile * dayFactor * kind.effect * (1 + 0.06 * gaussian(rng))),
        );
        const description = pick(rng, kind.descriptions);
        const clouds = Math.round(between(rng, DESCRIPTION_CLOUDS[description] ?? kind.clouds));
        const rain = kind.rain[1] > 0 ? between(rng, kind.rain) : 0;
        const snow = kind.snow[1] > 0 && rng.next() < 0.15 ? between(rng, kind.snow) : 0;
        const base = {
          holiday: hour === 0 && holiday !== undefined ? holiday : 'None',
          temp: formatFloat(temp, 2),
          rain_1h: formatFloat(rain, 2),
          snow_1h: formatFloat(snow, 2),
          clouds_all: String(clouds),
          date_time: `${year}-${pad2(month)}-${pad2(day)} ${pad2(hour)}:00:00`,
          traffic_volume: String(volume),
        };
        const row = (main: string, description: string): SyntheticRecord => ({
          ...base,
          weather_main: main,
          weather_description: description,
        });
        const records = [row(kind.main, description)];
        const companions = COMPANION[weather]?.filter((main) => plausible(main, temp));
        const u = rng.next();
        if (companions !== undefined && companions.length > 0 && u < 0.3) {
          const other = WEATHER[companions[Math.floor(rng.next() * companions.length)]];
          records.push(row(other.main, pick(rng, other.descriptions)));
        } else if (u > 0.997) {
          // Same hour, same weather_main, another description: the seed's dedupe removes these.
          records.push(row(kind.main, pick(rng, kind.descriptions)));
        }
        yield records;
      }
    }
  }
}

export const CSV_HEADER = `${RAW_COLUMNS.join(',')}\n`;

export function csvLine(r: SyntheticRecord): string {
  return `${RAW_COLUMNS.map((c) => r[c]).join(',')}\n`;
}

export function toCsv(records: readonly SyntheticRecord[]): string {
  return CSV_HEADER + records.map(csvLine).join('');
}

/** One year as CSV text in the real file's format. */
export function generateYear(input: GenerateYearInput): string {
  return toCsv(generateYearRecords(input));
}
