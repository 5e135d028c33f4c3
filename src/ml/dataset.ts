/** Parsing and validation of the traffic CSV files and of prediction input rows. */
import { parse } from 'csv-parse/sync';
import type { LocalDateTime, TrafficRow } from './types';

/** Which CSV columns feed the model; `date_time` and the target may be named differently in the file. */
export interface DatasetSchema {
  /** Subset of the TrafficRow feature fields, in the order the seed's `COLUMNS` variable gives them. */
  featureColumns: string[];
  dateTimeColumn: string;
  targetColumn: string;
}

/** The seed's `COLUMNS`, `DATE_TIME` and `TARGET` pipeline variables. */
export const DEFAULT_SCHEMA: DatasetSchema = {
  featureColumns: ['holiday', 'temp', 'rain_1h', 'snow_1h', 'clouds_all', 'weather_main'],
  dateTimeColumn: 'date_time',
  targetColumn: 'traffic_volume',
};

export const NUMERIC_FIELDS = ['temp', 'rain_1h', 'snow_1h', 'clouds_all'] as const;
export type NumericField = (typeof NUMERIC_FIELDS)[number];
export const FEATURE_FIELDS = ['holiday', ...NUMERIC_FIELDS, 'weather_main'] as const;

export interface BadRow {
  /** 1-based physical line number in the file (the header is line 1). */
  line: number;
  reason: string;
}

export interface ParsedFile {
  file: string;
  header: string[];
  rows: TrafficRow[];
  /** The first `maxBadRows` malformed rows; `badRowCount` counts all of them. */
  badRows: BadRow[];
  badRowCount: number;
  /** Data records read (good + bad). */
  recordCount: number;
}

/** A file that cannot be used at all (as opposed to single malformed rows, which are reported in `badRows`). */
export class DatasetError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'DatasetError';
  }
}

/** A prediction input row that cannot be used; names the row index and the field. */
export class PredictionInputError extends Error {
  constructor(
    readonly row: number,
    readonly field: string,
    problem: string,
  ) {
    super(`row ${row}, field ${field}: ${problem}`);
    this.name = 'PredictionInputError';
  }
}

export interface ParseTrafficCsvInput {
  text: string;
  /** Used in error messages only. */
  file: string;
  schema?: DatasetSchema;
  /** Cap on the bad rows listed (all are counted); default 1000. */
  maxBadRows?: number;
}

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parses a finite decimal number; undefined for anything else (empty, hex, Infinity, garbage). */
export function parseDecimal(text: string): number | undefined {
  if (!NUMBER_RE.test(text)) return undefined;
  return Number(text);
}

export function parseTrafficCsv(input: ParseTrafficCsvInput): ParsedFile {
  const { text, file } = input;
  const schema = input.schema ?? DEFAULT_SCHEMA;
  const reader = new RowReader(file, schema, input.maxBadRows ?? 1000);
  if (text.indexOf('"') === -1) readUnquoted(text, reader);
  else readWithCsvParse(text, file, reader);
  return reader.finish();
}

/** One record's fields, read either from a string[] (csv-parse) or in place from a line of the text. */
interface Fields {
  readonly count: number;
  text(i: number): string;
  /** The field as a shared string (see Labels). */
  label(i: number): string;
  number(i: number): number | undefined;
  dateTime(i: number): LocalDateTime | undefined;
}

class ArrayFields implements Fields {
  constructor(
    private readonly fields: string[],
    private readonly labels: Labels,
  ) {}
  get count(): number {
    return this.fields.length;
  }
  text(i: number): string {
    return this.fields[i];
  }
  label(i: number): string {
    return this.labels.intern(this.fields[i]);
  }
  number(i: number): number | undefined {
    return parseDecimal(this.fields[i]);
  }
  dateTime(i: number): LocalDateTime | undefined {
    return tryParseLocalDateTime(this.fields[i]);
  }
}

/** Field boundaries of one line, found with indexOf; fields are only sliced out when needed. */
class LineFields implements Fields {
  count = 0;
  private text_ = '';
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  constructor(private readonly labels: Labels) {}

  reset(text: string, start: number, stop: number): this {
    this.text_ = text;
    let n = 0;
    let from = start;
    for (;;) {
      const comma = text.indexOf(',', from);
      const end = comma === -1 || comma > stop ? stop : comma;
      this.starts[n] = from;
      this.ends[n] = end;
      n++;
      if (end === stop) break;
      from = end + 1;
    }
    this.count = n;
    return this;
  }
  text(i: number): string {
    return this.text_.slice(this.starts[i], this.ends[i]);
  }
  label(i: number): string {
    return this.labels.internAt(this.text_, this.starts[i], this.ends[i]);
  }
  number(i: number): number | undefined {
    return parseDecimalAt(this.text_, this.starts[i], this.ends[i]);
  }
  dateTime(i: number): LocalDateTime | undefined {
    return tryParseLocalDateTime(this.text(i));
  }
}

/**
 * Without any quote character, CSV is exactly "lines split on commas"; scanning in place is several times
 * faster than csv-parse on the full data set, which matters for the prepare budget. Quoted files go
 * through csv-parse.
 */
function readUnquoted(text: string, reader: RowReader): void {
  const fields = new LineFields(reader.labels);
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    line++;
    const stop = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    if (stop > start) reader.record(fields.reset(text, start, stop), line);
    start = end + 1;
  }
}

function readWithCsvParse(text: string, file: string, reader: RowReader): void {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      info: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (error) {
    throw new DatasetError(file, `unreadable CSV: ${(error as Error).message}`);
  }
  for (const { record, info } of records) reader.record(new ArrayFields(record, reader.labels), info.lines);
}

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * `parseDecimal(text.slice(start, end))` without the slice. Plain decimals of up to 15 digits take the
 * exact fast path (integer mantissa / power of ten is correctly rounded, so the result equals Number()).
 */
export function parseDecimalAt(text: string, start: number, end: number): number | undefined {
  let i = start;
  let sign = 1;
  const first = text.charCodeAt(i);
  if (first === 45 || first === 43) {
    if (first === 45) sign = -1;
    i++;
  }
  let mantissa = 0;
  let digitCount = 0;
  let fraction = -1;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digitCount++;
      if (fraction >= 0) fraction++;
    } else if (c === 46 && fraction < 0) {
      fraction = 0;
    } else {
      return parseDecimal(text.slice(start, end));
    }
  }
  if (digitCount === 0) return undefined;
  if (digitCount > 15) return parseDecimal(text.slice(start, end));
  return (fraction > 0 ? mantissa / POW10[fraction] : mantissa) * sign;
}

/** Column positions of the fields a TrafficRow is built from; -1 when the file lacks an optional one. */
interface ColumnIndex {
  holiday: number;
  temp: number;
  rain_1h: number;
  snow_1h: number;
  clouds_all: number;
  weather_main: number;
  weather_description: number;
  date_time: number;
  target: number;
}

class RowReader {
  private header: string[] | undefined;
  private columns: ColumnIndex | undefined;
  private readonly rows: TrafficRow[] = [];
  readonly labels = new Labels();
  private readonly badRows: BadRow[] = [];
  private badRowCount = 0;
  private recordCount = 0;

  constructor(
    private readonly file: string,
    private readonly schema: DatasetSchema,
    private readonly maxBadRows: number,
  ) {}

  record(fields: Fields, line: number): void {
    if (this.columns === undefined) {
      this.readHeader(Array.from({ length: fields.count }, (_, i) => fields.text(i)));
      return;
    }
    this.recordCount++;
    const expected = (this.header as string[]).length;
    if (fields.count !== expected) {
      this.bad(line, `expected ${expected} fields, got ${fields.count}`);
      return;
    }
    const result = buildRow(fields, this.columns);
    if (typeof result === 'string') this.bad(line, result);
    else this.rows.push(result);
  }

  finish(): ParsedFile {
    if (this.header === undefined) throw new DatasetError(this.file, 'empty file (no header)');
    if (this.recordCount === 0) throw new DatasetError(this.file, 'no data rows');
    return {
      file: this.file,
      header: this.header,
      rows: this.rows,
      badRows: this.badRows,
      badRowCount: this.badRowCount,
      recordCount: this.recordCount,
    };
  }

  private bad(line: number, reason: string): void {
    this.badRowCount++;
    if (this.badRows.length < this.maxBadRows) this.badRows.push({ line, reason });
  }

  private readHeader(fields: string[]): void {
    const header = fields.map((name) => name.trim());
    const { featureColumns, dateTimeColumn, targetColumn } = this.schema;
    const unknown = featureColumns.filter((c) => !(FEATURE_FIELDS as readonly string[]).includes(c));
    if (unknown.length > 0) {
      throw new DatasetError(
        this.file,
        `schema names unsupported feature column(s) ${unknown.join(', ')} (supported: ${FEATURE_FIELDS.join(', ')})`,
      );
    }
    const required = [...featureColumns, dateTimeColumn, targetColumn];
    const missing = required.filter((c) => !header.includes(c));
    if (missing.length > 0) throw new DatasetError(this.file, `missing column(s) ${missing.join(', ')}`);
    const at = (name: string): number => header.indexOf(name);
    this.header = header;
    this.columns = {
      holiday: at('holiday'),
      temp: at('temp'),
      rain_1h: at('rain_1h'),
      snow_1h: at('snow_1h'),
      clouds_all: at('clouds_all'),
      weather_main: at('weather_main'),
      weather_description: at('weather_description'),
      date_time: at(dateTimeColumn),
      target: at(targetColumn),
    };
  }
}

function numberOrReason(fields: Fields, index: number, name: string): number | string {
  if (index === -1) return 0;
  const value = fields.number(index);
  return value === undefined ? `${name} is not a number (${JSON.stringify(fields.text(index))})` : value;
}

/**
 * Shares one string per distinct label (holiday, weather): tens of thousands of rows then hold a few
 * dozen strings instead of their own copies, and in-place lookups allocate nothing; both keep garbage
 * collection out of the parse budget.
 */
class Labels {
  private readonly byValue = new Map<string, string>();
  /** Candidates by (length, first char), checked with startsWith so no substring is created. */
  private readonly byShape = new Map<number, string[]>();
  private size = 0;

  intern(value: string): string {
    const known = this.byValue.get(value);
    if (known !== undefined) return known;
    this.remember(value);
    return value;
  }

  internAt(text: string, start: number, end: number): string {
    const length = end - start;
    if (length === 0) return '';
    const candidates = this.byShape.get(length * 0x10000 + text.charCodeAt(start));
    if (candidates !== undefined) {
      for (const candidate of candidates) if (text.startsWith(candidate, start)) return candidate;
    }
    return this.intern(text.slice(start, end));
  }

  private remember(value: string): void {
    if (this.size >= 10_000 || value.length === 0) return; // free-text columns: stop caching
    this.size++;
    this.byValue.set(value, value);
    const shape = value.length * 0x10000 + value.charCodeAt(0);
    const list = this.byShape.get(shape);
    if (list === undefined) this.byShape.set(shape, [value]);
    else list.push(value);
  }
}

/** Returns the row, or the reason it is malformed. Fields the schema does not use and the file lacks get neutral values. */
function buildRow(fields: Fields, c: ColumnIndex): TrafficRow | string {
  const temp = numberOrReason(fields, c.temp, 'temp');
  if (typeof temp === 'string') return temp;
  const rain = numberOrReason(fields, c.rain_1h, 'rain_1h');
  if (typeof rain === 'string') return rain;
  const snow = numberOrReason(fields, c.snow_1h, 'snow_1h');
  if (typeof snow === 'string') return snow;
  const clouds = numberOrReason(fields, c.clouds_all, 'clouds_all');
  if (typeof clouds === 'string') return clouds;
  const weatherMain = c.weather_main === -1 ? '' : fields.label(c.weather_main);
  if (c.weather_main !== -1 && weatherMain.length === 0) return 'weather_main is empty';
  const dateTime = fields.dateTime(c.date_time);
  if (dateTime === undefined) return `unparsable date_time (${JSON.stringify(fields.text(c.date_time))})`;
  const volume = fields.number(c.target);
  if (volume === undefined)
    return `traffic volume is not a number (${JSON.stringify(fields.text(c.target))})`;
  if (volume < 0) return `negative traffic volume (${fields.text(c.target)})`;
  return {
    holiday: c.holiday === -1 ? 'None' : fields.label(c.holiday),
    temp,
    rain_1h: rain,
    snow_1h: snow,
    clouds_all: clouds,
    weather_main: weatherMain,
    weather_description: c.weather_description === -1 ? undefined : fields.label(c.weather_description),
    date_time: dateTime,
    traffic_volume: volume,
  };
}

// ---------------------------------------------------------------------------------------------
// Local date-times

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

// ---------------------------------------------------------------------------------------------
// Duplicates

function sameRecord(a: TrafficRow, b: TrafficRow): boolean {
  return (
    a.temp === b.temp &&
    a.rain_1h === b.rain_1h &&
    a.snow_1h === b.snow_1h &&
    a.clouds_all === b.clouds_all &&
    a.traffic_volume === b.traffic_volume &&
    a.holiday === b.holiday &&
    a.weather_main === b.weather_main
  );
}

/**
 * Seed parity: `df[COLUMNS + [TARGET, DATE_TIME]].drop_duplicates(keep="last")`. Rows equal in every
 * selected column (weather_description is not selected) collapse to their last occurrence; survivors keep
 * their order. Rows at the same hour with a different weather_main are NOT duplicates and both stay.
 */
export function dedupeRows(rows: readonly TrafficRow[]): TrafficRow[] {
  const n = rows.length;
  const keys = new Float64Array(n);
  let sorted = true;
  for (let i = 0; i < n; i++) {
    const t = rows[i].date_time;
    keys[i] = daysFromCivil(t.year, t.month, t.day) * 86400 + t.hour * 3600 + t.minute * 60 + t.second;
    if (i > 0 && keys[i] < keys[i - 1]) sorted = false;
  }
  const keep = sorted ? keepLastInRuns(rows, keys) : keepLastWithMap(rows, keys);
  const kept: TrafficRow[] = [];
  for (let i = 0; i < n; i++) if (keep[i] === 1) kept.push(rows[i]);
  return kept;
}

/** Time-sorted input (the usual case): rows of one timestamp are adjacent, so no hash map is needed. */
function keepLastInRuns(rows: readonly TrafficRow[], keys: Float64Array): Uint8Array {
  const keep = new Uint8Array(rows.length);
  let runEnd = rows.length;
  for (let i = rows.length - 1; i >= 0; i--) {
    if (i + 1 < rows.length && keys[i] !== keys[i + 1]) runEnd = i + 1;
    keep[i] = 1;
    for (let j = i + 1; j < runEnd; j++) {
      if (keep[j] === 1 && sameRecord(rows[j], rows[i])) {
        keep[i] = 0;
        break;
      }
    }
  }
  return keep;
}

function keepLastWithMap(rows: readonly TrafficRow[], keys: Float64Array): Uint8Array {
  const keep = new Uint8Array(rows.length);
  const later = new Map<number, number[]>();
  for (let i = rows.length - 1; i >= 0; i--) {
    const kept = later.get(keys[i]);
    if (kept === undefined) later.set(keys[i], [i]);
    else if (kept.some((j) => sameRecord(rows[j], rows[i]))) continue;
    else kept.push(i);
    keep[i] = 1;
  }
  return keep;
}

// ---------------------------------------------------------------------------------------------
// Prediction input

function predictionNumber(value: unknown, row: number, field: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new PredictionInputError(row, field, `expected a finite number, got ${value}`);
    return value;
  }
  if (typeof value === 'string') {
    const parsed = parseDecimal(value.trim());
    if (parsed !== undefined) return parsed;
  }
  throw new PredictionInputError(
    row,
    field,
    `expected a number, got ${JSON.stringify(value) ?? String(value)}`,
  );
}

function predictionString(value: unknown, row: number, field: string): string {
  if (typeof value === 'string' && value.length > 0) return value;
  const hint = field === 'holiday' ? ' (use "None" for an ordinary day)' : '';
  throw new PredictionInputError(
    row,
    field,
    `expected a non-empty string, got ${JSON.stringify(value) ?? String(value)}${hint}`,
  );
}

/**
 * Validates rows given for prediction (e.g. the seed's inference inputs): numbers may be numeric strings
 * ("288.28"), extra keys such as traffic_volume are ignored. Throws PredictionInputError on the first problem.
 */
export function parsePredictionRows(objects: unknown[]): TrafficRow[] {
  if (!Array.isArray(objects)) throw new TypeError('prediction input must be an array of objects');
  return objects.map((value, index) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new PredictionInputError(index, '*', 'expected an object');
    }
    const o = value as Record<string, unknown>;
    const dateText = predictionString(o.date_time, index, 'date_time');
    const dateTime = tryParseLocalDateTime(dateText.trim());
    if (dateTime === undefined) {
      throw new PredictionInputError(
        index,
        'date_time',
        `invalid date_time ${JSON.stringify(dateText)}, expected YYYY-MM-DD HH:MM:SS`,
      );
    }
    return {
      holiday: predictionString(o.holiday, index, 'holiday'),
      temp: predictionNumber(o.temp, index, 'temp'),
      rain_1h: predictionNumber(o.rain_1h, index, 'rain_1h'),
      snow_1h: predictionNumber(o.snow_1h, index, 'snow_1h'),
      clouds_all: predictionNumber(o.clouds_all, index, 'clouds_all'),
      weather_main: predictionString(o.weather_main, index, 'weather_main'),
      date_time: dateTime,
    };
  });
}
