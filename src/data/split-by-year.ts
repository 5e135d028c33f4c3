/** Splits one CSV of the full data set into the `{prefix}_{year}.csv` files the pipeline reads. */
import { parse } from 'csv-parse/sync';
import { tryParseLocalDateTime } from './local-date-time';

export interface SplitCsvByYearInput {
  text: string;
  /** File name prefix; default "Metro_Interstate_Traffic_Volume". */
  prefix?: string;
  dateTimeColumn?: string;
}

export interface YearCsv {
  year: number;
  fileName: string;
  text: string;
  rows: number;
}

export interface SplitCsvByYearResult {
  files: YearCsv[];
  /** Records whose date_time could not be read (line numbers are 1-based, the header is line 1). */
  skipped: { line: number; reason: string }[];
}

function formatField(field: string): string {
  return /[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

function formatRecord(fields: string[]): string {
  return fields.map(formatField).join(',');
}

/** Rows keep their order within a year; files come out sorted by year, with '\n' line endings. */
export function splitCsvByYear(input: SplitCsvByYearInput): SplitCsvByYearResult {
  const prefix = input.prefix ?? 'Metro_Interstate_Traffic_Volume';
  const dateTimeColumn = input.dateTimeColumn ?? 'date_time';
  const records = parse(input.text, {
    bom: true,
    skip_empty_lines: true,
    relax_column_count: true,
    info: true,
  }) as unknown as {
    record: string[];
    info: { lines: number };
  }[];
  if (records.length === 0) throw new Error('CSV is empty');
  const header = records[0].record;
  const column = header.indexOf(dateTimeColumn);
  if (column === -1) throw new Error(`CSV has no ${dateTimeColumn} column (header: ${header.join(',')})`);

  const byYear = new Map<number, string[]>();
  const skipped: SplitCsvByYearResult['skipped'] = [];
  for (const { record, info } of records.slice(1)) {
    const dateTime = tryParseLocalDateTime(record[column] ?? '');
    if (dateTime === undefined) {
      skipped.push({
        line: info.lines,
        reason: `unparsable ${dateTimeColumn} (${JSON.stringify(record[column] ?? null)})`,
      });
      continue;
    }
    let lines = byYear.get(dateTime.year);
    if (lines === undefined) byYear.set(dateTime.year, (lines = []));
    lines.push(formatRecord(record));
  }
  const headerLine = formatRecord(header);
  const files = [...byYear.entries()]
    .sort(([a], [b]) => a - b)
    .map(([year, lines]) => ({
      year,
      fileName: `${prefix}_${year}.csv`,
      text: `${headerLine}\n${lines.join('\n')}\n`,
      rows: lines.length,
    }));
  return { files, skipped };
}
