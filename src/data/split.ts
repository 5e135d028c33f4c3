/** Train/validation split by calendar year, as the seed's `split_on_date_time(year=2016)`. */
import type { TrafficRow } from '../contracts/domain';

export interface SplitByYearInput {
  rows: readonly TrafficRow[];
  validationYear: number;
  /** Restricts training to these years (all of them must be before validationYear to be used). */
  trainYears?: readonly number[];
}

export interface YearSplit {
  train: TrafficRow[];
  validation: TrafficRow[];
}

/** train = rows before validationYear (and in trainYears when given); validation = rows of validationYear; later years are left out. */
export function splitByYear(input: SplitByYearInput): YearSplit {
  const { rows, validationYear } = input;
  const allowed = input.trainYears === undefined ? undefined : new Set(input.trainYears);
  const train: TrafficRow[] = [];
  const validation: TrafficRow[] = [];
  for (const row of rows) {
    const year = row.date_time.year;
    if (year === validationYear) validation.push(row);
    else if (year < validationYear && (allowed === undefined || allowed.has(year))) train.push(row);
  }
  return { train, validation };
}
