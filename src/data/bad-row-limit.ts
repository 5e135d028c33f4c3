/** The limit on malformed rows per file: a few are skipped and reported, too many fail the preparation. */
import { DatasetError } from './traffic-csv';

/** 1 %: the seed's files have none; a share above this means a broken export, not noise. */
export const DEFAULT_MAX_BAD_ROW_SHARE = 0.01;

/** Throws a DatasetError naming the file and the count when the share of bad records exceeds `maxShare`. */
export function assertBadRowShare(input: {
  file: string;
  badRows: number;
  records: number;
  maxShare: number;
}): void {
  const { file, badRows, records, maxShare } = input;
  if (badRows === 0 || badRows <= maxShare * records) return;
  const pct = (x: number) => `${Number((x * 100).toPrecision(3))} %`;
  throw new DatasetError(
    file,
    `${badRows} of ${records} rows are malformed (${pct(badRows / records)}), above the limit of ${pct(maxShare)} (--max-bad-rows)`,
  );
}
