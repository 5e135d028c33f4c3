import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** The real by-year data set when present (DATA_DIR overrides), read-only; never copied into the repo. */
export const REAL_DIR =
  process.env.DATA_DIR ?? path.resolve(ROOT, '..', 'shared', 'data', 'metro-traffic', 'by-year');

/** The committed synthetic sample. */
export const SAMPLE_DIR = path.join(ROOT, 'data', 'sample');
