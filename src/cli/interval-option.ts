import { InvalidArgumentError } from 'commander';
import { assertIntervalLevel } from '../evaluation/prediction-interval';

/** `--interval <level>`: a share between 0 and 1, e.g. 0.9 (or 90%). */
export function intervalLevel(value: string): number {
  const trimmed = value.trim();
  const level = trimmed.endsWith('%') ? Number(trimmed.slice(0, -1)) / 100 : Number(trimmed);
  try {
    assertIntervalLevel(level);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return level;
}

export const INTERVAL_HELP = 'also give a central prediction interval at this level, e.g. 0.9';

/** `[low, high]` as printed beside a prediction. */
export function formatInterval([low, high]: readonly [number, number]): string {
  return `[${Math.round(low)}, ${Math.round(high)}]`;
}
