/**
 * Generated data at N× the real data set's size (N stations at every hour of 2012–2016), made once into
 * $TMPDIR/traffic-scale-<N>x/ and reused (a marker file says the files are complete).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SAMPLE_FILE_PREFIX, yearFileName } from '../../src/data/synthetic';
import { writeYearCsv } from '../generate-sample';
import { locateData, type DataSource } from './data';
import { progress } from './stats';

export const SCALE_YEARS = [2012, 2013, 2014, 2015, 2016];
const DATA_SEED = 42;

/** The year files of a scale's directory, in year order. */
export function scaleYearFiles(dir: string): { year: number; file: string }[] {
  return SCALE_YEARS.map((year) => ({ year, file: path.join(dir, yearFileName(SAMPLE_FILE_PREFIX, year)) }));
}

export function scaleData(scale: number, projectRoot: string): { source: DataSource; rows: number } {
  const dir = path.join(os.tmpdir(), `traffic-scale-${scale}x`);
  const marker = path.join(dir, `.complete-seed-${DATA_SEED}.json`);
  if (!fs.existsSync(marker)) {
    fs.mkdirSync(dir, { recursive: true });
    progress(`${scale}×: generating ${scale} station(s) × ${SCALE_YEARS.length} years into ${dir}`);
    let rows = 0;
    for (const { year, file } of scaleYearFiles(dir))
      rows += writeYearCsv(file, { year, seed: DATA_SEED, hoursStep: 1, stations: scale }).rows;
    fs.writeFileSync(marker, JSON.stringify({ rows }));
  }
  const { rows } = JSON.parse(fs.readFileSync(marker, 'utf8')) as { rows: number };
  process.env.DATA_DIR = dir;
  try {
    return { source: locateData(projectRoot), rows };
  } finally {
    delete process.env.DATA_DIR;
  }
}
