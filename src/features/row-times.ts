/** Each prepared row's date-time in years, stored beside a prepared set so trials can weight rows by age. */
import { z } from 'zod';
import { DAYS_PER_YEAR, timeInYears } from './recency-weights';
import { civilFromDays, hourlyLocalDateTime } from '../data/local-date-time';
import type { LocalDateTime, TrafficRow } from '../contracts/domain';

/** In the prepared set's row order: training, early-stopping slice, validation year. */
export interface RowTimes {
  train: number[];
  earlyStopping: number[];
  validation: number[];
}

export function rowTimesOf(parts: {
  train: readonly TrafficRow[];
  earlyStopping: readonly TrafficRow[];
  validation: readonly TrafficRow[];
}): RowTimes {
  // Six decimals of a year are about 30 s: exact enough for hourly rows, and a third of the JSON.
  const times = (rows: readonly TrafficRow[]) =>
    rows.map((r) => Math.round(timeInYears(r.date_time) * 1e6) / 1e6);
  return {
    train: times(parts.train),
    earlyStopping: times(parts.earlyStopping),
    validation: times(parts.validation),
  };
}

/**
 * The hourly date-time a stored row time stands for (the inverse of timeInYears, to the nearest hour: six
 * decimals of a year are about 30 s). Minutes and seconds are 0, as in the data set.
 */
export function dateTimeFromYears(years: number): LocalDateTime {
  const hours = Math.round(years * DAYS_PER_YEAR * 24);
  return hourlyLocalDateTime(civilFromDays(Math.floor(hours / 24)), hours - Math.floor(hours / 24) * 24);
}

const rowTimesSchema = z.object({
  train: z.array(z.number()),
  earlyStopping: z.array(z.number()),
  validation: z.array(z.number()),
});

export function parseRowTimes(json: unknown): RowTimes {
  const result = rowTimesSchema.safeParse(json);
  if (!result.success) throw new Error(`invalid row times: ${z.prettifyError(result.error)}`);
  return result.data;
}
