/**
 * Parsers of command-line values, shared by the client, the worker and `npm start`: each rejects a bad value
 * with one line saying what is expected (commander prefixes the flag).
 */
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { InvalidArgumentError } from 'commander';
import { STORAGE_URI, STORAGE_URI_EXPECTED } from '../storage/storage-uri';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`"${value}" is not a positive integer`);
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError(`"${value}" is not a non-negative integer`);
  return n;
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`"${value}" is not a positive number`);
  return n;
}

export function parseBool(value: string): boolean {
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  throw new InvalidArgumentError(`"${value}" is not true or false`);
}

/** `s3://bucket/prefix` or `file://dir`; a bare path would only fail later, in the worker. */
export function storageUri(value: string): string {
  if (!STORAGE_URI.test(value)) {
    const hint =
      value.startsWith('/') || value.startsWith('.') ? ` (for a local folder: file://${value})` : '';
    throw new InvalidArgumentError(`"${value}" ${STORAGE_URI_EXPECTED}${hint}`);
  }
  return value;
}

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}$/;

/** `--run-id`: a workflow id the user chooses; letters, digits and `._:@-`, at most 200 characters. */
export function runId(value: string): string {
  if (!RUN_ID.test(value)) {
    throw new InvalidArgumentError(
      `"${value}" is not a run id: use letters, digits and . _ : @ - (at most 200, starting with a letter or digit)`,
    );
  }
  return value;
}

/** `30m`, `2h`, `90s`, `1 day`: milliseconds. */
export function durationMs(value: string): number {
  let ms: number;
  try {
    ms = msToNumber(value as Duration);
  } catch {
    throw new InvalidArgumentError(`"${value}" is not a duration such as "30m", "2h" or "90s"`);
  }
  if (!(ms > 0)) throw new InvalidArgumentError(`"${value}" is not a positive duration`);
  return ms;
}

/** `10%`, `2.5 %` or `0.1`: a share in [0, 1]; undefined for anything else. */
function parseShare(value: string): number | undefined {
  const percent = /^\s*([\d.]+)\s*%\s*$/.exec(value);
  const n = percent ? Number(percent[1]) / 100 : Number(value);
  return value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1 ? undefined : n;
}

/** `10%` or `0.1`: a share in [0, 1]. */
export function share(value: string): number {
  const n = parseShare(value);
  if (n === undefined) throw new InvalidArgumentError(`"${value}" is not a share such as 10% or 0.1`);
  return n;
}

/** A share read from `source` (a flag or an environment variable), named in the error. */
export function namedShare(value: string, source: string): number {
  const n = parseShare(value);
  if (n === undefined) {
    throw new InvalidArgumentError(
      `${source} must be a share between 0 and 1 or a percentage such as 1%, got "${value}"`,
    );
  }
  return n;
}
