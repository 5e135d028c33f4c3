/** Local (time-zone-free) date-times as the data set writes them, and calendar arithmetic on them. */
import type { LocalDateTime } from '../contracts/domain';

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The calendar date of a day number since 1970-01-01 (H. Hinnant's civil_from_days), the inverse of daysFromCivil. */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** Day of the week as pandas `dt.dayofweek`: Monday=0 … Sunday=6. */
export function dayOfWeek(date: { year: number; month: number; day: number }): number {
  // 1970-01-01 was a Thursday (3).
  return (((daysFromCivil(date.year, date.month, date.day) + 3) % 7) + 7) % 7;
}

function digits(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** An hourly local date-time (minutes and seconds 0) with its canonical text. */
export function hourlyLocalDateTime(
  date: { year: number; month: number; day: number },
  hour: number,
): LocalDateTime {
  const { year, month, day } = date;
  return {
    year,
    month,
    day,
    hour,
    minute: 0,
    second: 0,
    text: `${year}-${pad2(month)}-${pad2(day)} ${pad2(hour)}:00:00`,
  };
}

/**
 * Parses `YYYY-MM-DD HH:MM:SS`, `YYYY-MM-DDTHH:MM:SS` or `YYYY-MM-DD HH:MM` as wall-clock time: no time
 * zone is applied (the data are Minneapolis local times). Returns undefined when the text is not one of
 * these forms or names no real calendar time.
 */
export function tryParseLocalDateTime(text: string): LocalDateTime | undefined {
  const length = text.length;
  if (length !== 19 && length !== 16) return undefined;
  const sep = text.charCodeAt(10);
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || (sep !== 32 && sep !== 84)) return undefined;
  if (text.charCodeAt(13) !== 58 || (length === 19 && text.charCodeAt(16) !== 58)) return undefined;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = length === 19 ? digits(text, 17, 2) : 0;
  if (year < 1 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23) return undefined;
  if (minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  const monthDays = month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1];
  if (day > monthDays) return undefined;
  const canonical =
    length === 19 && sep === 32 ? text : `${text.slice(0, 10)} ${pad2(hour)}:${pad2(minute)}:${pad2(second)}`;
  return { year, month, day, hour, minute, second, text: canonical };
}

/** Like `tryParseLocalDateTime`, but throws an Error naming the text. */
export function parseLocalDateTime(text: string): LocalDateTime {
  const parsed = tryParseLocalDateTime(text);
  if (parsed === undefined) {
    throw new Error(`invalid date_time ${JSON.stringify(text)}: expected YYYY-MM-DD HH:MM:SS`);
  }
  return parsed;
}
