/**
 * US federal holidays by rule, on the dates they are observed (a Saturday holiday on the Friday before, a
 * Sunday one on the Monday after), as days since 1970-01-01. The data set marks a holiday only on the
 * 00:00 row of its day; the calendar lets every hour of the day, and rows given for prediction, know it.
 */
import { dayOfWeek, daysFromCivil } from './local-date-time';

const cache = new Map<number, ReadonlySet<number>>();

/** The n-th (1-based) given weekday (Monday=0 … Sunday=6) of a month; n = -1 for the last one. */
function nthWeekday(year: number, month: number, weekday: number, n: number): number {
  if (n > 0) {
    const first = daysFromCivil(year, month, 1);
    const offset = (weekday - dayOfWeek({ year, month, day: 1 }) + 7) % 7;
    return first + offset + (n - 1) * 7;
  }
  const nextMonthFirst = month === 12 ? daysFromCivil(year + 1, 1, 1) : daysFromCivil(year, month + 1, 1);
  const last = nextMonthFirst - 1;
  const lastWeekday = (((last + 3) % 7) + 7) % 7;
  return last - ((lastWeekday - weekday + 7) % 7);
}

function observed(year: number, month: number, day: number): number {
  const date = daysFromCivil(year, month, day);
  const weekday = dayOfWeek({ year, month, day });
  return weekday === 5 ? date - 1 : weekday === 6 ? date + 1 : date;
}

/** Each federal holiday by its name in the data set, and its observed day in a given year. */
const FEDERAL_HOLIDAY_RULES: ReadonlyArray<readonly [string, (year: number) => number]> = [
  ['New Years Day', (year) => observed(year, 1, 1)],
  ['Martin Luther King Jr Day', (year) => nthWeekday(year, 1, 0, 3)],
  ['Washingtons Birthday', (year) => nthWeekday(year, 2, 0, 3)],
  ['Memorial Day', (year) => nthWeekday(year, 5, 0, -1)],
  ['Independence Day', (year) => observed(year, 7, 4)],
  ['Labor Day', (year) => nthWeekday(year, 9, 0, 1)],
  ['Columbus Day', (year) => nthWeekday(year, 10, 0, 2)],
  ['Veterans Day', (year) => observed(year, 11, 11)],
  ['Thanksgiving Day', (year) => nthWeekday(year, 11, 3, 4)],
  ['Christmas Day', (year) => observed(year, 12, 25)],
];

/** The observed days of the named holidays in a year (New Year's Day observed on Dec 31 of the year before is included there). */
function observedDays(year: number, names: ReadonlySet<string>): Set<number> {
  const days = new Set(FEDERAL_HOLIDAY_RULES.filter(([name]) => names.has(name)).map(([, day]) => day(year)));
  if (names.has('New Years Day') && dayOfWeek({ year: year + 1, month: 1, day: 1 }) === 5)
    days.add(daysFromCivil(year, 12, 31));
  return days;
}

const FEDERAL_NAMES: ReadonlySet<string> = new Set(FEDERAL_HOLIDAY_RULES.map(([name]) => name));

/** Observed federal holidays of a year (New Year's Day observed on Dec 31 of the year before is included there). */
export function federalHolidays(year: number): ReadonlySet<number> {
  const known = cache.get(year);
  if (known) return known;
  const days = observedDays(year, FEDERAL_NAMES);
  cache.set(year, days);
  return days;
}

/**
 * The holidays most private employers close on, so that traffic drops as on a Sunday: New Year's Day, Memorial
 * Day, Independence Day, Labor Day, Thanksgiving and Christmas (observed), the six that US private-industry
 * workers most often have paid off (U.S. Bureau of Labor Statistics, National Compensation Survey, "paid
 * holidays"). Martin Luther King Jr Day, Washington's Birthday, Columbus Day and Veterans Day close federal
 * offices and banks but few other employers; on 2012–2015 the model that treated them as days off
 * under-predicted them (e.g. Veterans Day 2015 by 499 vehicles/h on average, Columbus Day 2015 by 430).
 */
export const MAJOR_HOLIDAY_NAMES: readonly string[] = [
  'New Years Day',
  'Memorial Day',
  'Independence Day',
  'Labor Day',
  'Thanksgiving Day',
  'Christmas Day',
];

const MAJOR_NAMES: ReadonlySet<string> = new Set(MAJOR_HOLIDAY_NAMES);
const majorCache = new Map<number, ReadonlySet<number>>();

/** The observed days of MAJOR_HOLIDAY_NAMES in a year (New Year's Day observed on Dec 31 of the year before is included there). */
export function majorHolidays(year: number): ReadonlySet<number> {
  const known = majorCache.get(year);
  if (known) return known;
  const days = observedDays(year, MAJOR_NAMES);
  majorCache.set(year, days);
  return days;
}

export function isFederalHoliday(day: number, year: number): boolean {
  return federalHolidays(year).has(day);
}

/** Monday–Friday and not an observed federal holiday, by the calendar alone. */
export function isCalendarWorkingDay(date: { year: number; month: number; day: number }): boolean {
  return dayOfWeek(date) < 5 && !isFederalHoliday(daysFromCivil(date.year, date.month, date.day), date.year);
}

/**
 * The Minnesota State Fair's opening day, the one non-federal holiday the data name: the Thursday 11 days
 * before Labor Day (as the training years 2012–2016 mark it).
 */
export function stateFairOpening(year: number): number {
  return nthWeekday(year, 9, 0, 1) - 11;
}

/** The holiday names the data set writes in its `holiday` column (besides "None"). */
export const KNOWN_HOLIDAY_NAMES = [
  'Christmas Day',
  'Columbus Day',
  'Independence Day',
  'Labor Day',
  'Martin Luther King Jr Day',
  'Memorial Day',
  'New Years Day',
  'State Fair',
  'Thanksgiving Day',
  'Veterans Day',
  'Washingtons Birthday',
] as const;

const BY_LOWER_CASE = new Map<string, string>(KNOWN_HOLIDAY_NAMES.map((name) => [name.toLowerCase(), name]));

/** The known holiday a `holiday` value names, matched case-insensitively and trimmed; undefined otherwise. */
export function holidayNameOf(value: string): string | undefined {
  return BY_LOWER_CASE.get(value.trim().toLowerCase());
}

/** Whether a `holiday` value is understood: no holiday ("None" in any case, or empty) or a known name. */
export function isKnownHolidayValue(value: string): boolean {
  const v = value.trim().toLowerCase();
  return v === '' || v === 'none' || BY_LOWER_CASE.has(v);
}
