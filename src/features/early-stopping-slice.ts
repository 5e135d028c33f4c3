/**
 * Honest validation: early stopping watches its own slice, the most recent part of the training years,
 * so the validation year is used only to select trials and the champion and never tunes the rounds.
 */
import type { EarlyStoppingSlice } from '../contracts';
import type { TrafficRow } from '../contracts/domain';

/** Share of the training rows (the latest ones) held out for early stopping. */
export const EARLY_STOPPING_FRACTION = 0.15;

export interface EarlyStoppingSplit {
  train: TrafficRow[];
  earlyStopping: TrafficRow[];
  slice: EarlyStoppingSlice;
}

/**
 * The latest `fraction` of the training rows by date-time (rows of one timestamp stay together) become
 * the early-stopping slice; the rest stay for training. Both keep their input order.
 */
export function splitEarlyStopping(
  rows: readonly TrafficRow[],
  fraction: number = EARLY_STOPPING_FRACTION,
): EarlyStoppingSplit {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`fraction must be in (0, 1), got ${fraction}`);
  const times = rows.map((r) => r.date_time.text).sort();
  const cutoff = times[Math.min(times.length - 1, Math.floor(times.length * (1 - fraction)))];
  const train: TrafficRow[] = [];
  const earlyStopping: TrafficRow[] = [];
  for (const row of rows) (row.date_time.text >= cutoff ? earlyStopping : train).push(row);
  if (train.length === 0) {
    throw new RangeError(`too few training rows (${rows.length}) to hold out an early-stopping slice`);
  }
  return {
    train,
    earlyStopping,
    slice: { from: cutoff, to: times[times.length - 1], rows: earlyStopping.length },
  };
}
