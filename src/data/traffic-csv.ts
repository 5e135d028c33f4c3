/** Parsing and validation of the traffic CSV files. */
import { parse } from 'csv-parse/sync';
import { DEFAULT_SCHEMA, FEATURE_FIELDS, type DatasetSchema } from './dataset-schema';
import { parseDecimal, parseDecimalAt } from './decimal';
import { tryParseLocalDateTime } from './local-date-time';
import type { LocalDateTime, TrafficRow } from '../contracts/domain';

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

export interface ParseTrafficCsvInput {
  text: string;
  /** Used in error messages only. */
  file: string;
  schema?: DatasetSchema;
  /** Cap on the bad rows listed (all are counted); default 1000. */
  maxBadRows?: number;
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
    const start = this.starts[i];
    const length = this.ends[i] - start;
    // Several stations report the same hour on adjacent lines: they share one (immutable) value.
    const last = this.lastDateTime;
    if (last !== undefined && length === last.field.length && this.text_.startsWith(last.field, start))
      return last.value;
    const parsed = tryParseLocalDateTime(this.text(i));
    if (parsed === undefined) return undefined;
    // Own copies of the strings, so the rows do not keep the whole file's text alive.
    const value = { ...parsed, text: ownCopy(parsed.text) };
    this.lastDateTime = { field: ownCopy(this.text(i)), value };
    return value;
  }
  private lastDateTime: { field: string; value: LocalDateTime } | undefined;
}

/** A string that does not share its characters with a larger one (a slice of a file's text would pin it). */
function ownCopy(value: string): string {
  return (' ' + value).slice(1);
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
    if (this.size >= 10_000 || value.length === 0) return value; // free-text columns: stop caching
    const own = ownCopy(value);
    this.remember(own);
    return own;
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
