/**
 * Writes the synthetic sample data set: `npm run data:generate [-- --years 2017 --out DIR]`.
 * Default: years 2012-2016, every 3rd hour (rotating), into data/sample/ (the committed sample).
 * `--scale N`: N stations at every hour, N times the real data set's size (≈ 48,000 rows per station over
 * 2012-2016), e.g. `-- --scale 10 --out /tmp/traffic-10x`; the files are streamed, never held in memory.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import {
  CSV_HEADER,
  SAMPLE_FILE_PREFIX,
  csvLine,
  generateYearHours,
  yearFileName,
  type GenerateYearInput,
} from '../src/data/synthetic';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/** "2012-2016", "2017" or "2012,2014". */
export function parseYears(text: string): number[] {
  const years = new Set<number>();
  for (const part of text.split(',')) {
    const match = /^\s*(\d{4})\s*(?:-\s*(\d{4})\s*)?$/.exec(part);
    if (!match) throw new InvalidArgumentError(`expected years like 2012-2016 or 2017, got "${part}"`);
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (to < from) throw new InvalidArgumentError(`empty year range "${part}"`);
    for (let y = from; y <= to; y++) years.add(y);
  }
  return [...years].sort((a, b) => a - b);
}

function parseInteger(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`expected an integer, got "${text}"`);
  return n;
}

function positiveInteger(text: string): number {
  const n = parseInteger(text);
  if (n < 1) throw new InvalidArgumentError(`expected a positive integer, got "${text}"`);
  return n;
}

/** Streams one year's CSV into `file` in ~1 MB writes; returns its rows and bytes. */
export function writeYearCsv(file: string, input: GenerateYearInput): { rows: number; bytes: number } {
  const fd = openSync(file, 'w');
  let rows = 0;
  let bytes = 0;
  let chunk = CSV_HEADER;
  const flush = (): void => {
    bytes += writeSync(fd, chunk);
    chunk = '';
  };
  try {
    for (const hour of generateYearHours(input)) {
      for (const record of hour) chunk += csvLine(record);
      rows += hour.length;
      if (chunk.length > 1 << 20) flush();
    }
    flush();
  } finally {
    closeSync(fd);
  }
  return { rows, bytes };
}

function main(): void {
  const command = new Command()
    .description('Generate synthetic Metro Interstate traffic CSV files, one per year')
    .option('--years <years>', 'years, e.g. 2012-2016 or 2017', parseYears, parseYears('2012-2016'))
    .option('--out <dir>', 'output directory', path.join(PROJECT_ROOT, 'data', 'sample'))
    .option('--seed <n>', 'random seed', parseInteger, 42)
    .option(
      '--hours-step <n>',
      'keep one hour in n (rotating by day); default 3, or 1 with --scale',
      parseInteger,
    )
    .option('--scale <n>', "n stations at every hour: n times the real data set's size", positiveInteger)
    .option('--prefix <prefix>', 'file name prefix', SAMPLE_FILE_PREFIX)
    .parse();
  const options = command.opts<{
    years: number[];
    out: string;
    seed: number;
    hoursStep?: number;
    scale?: number;
    prefix: string;
  }>();
  const hoursStep = options.hoursStep ?? (options.scale === undefined ? 3 : 1);

  mkdirSync(options.out, { recursive: true });
  let total = 0;
  for (const year of options.years) {
    const file = path.join(options.out, yearFileName(options.prefix, year));
    const { rows, bytes } = writeYearCsv(file, {
      year,
      seed: options.seed,
      hoursStep,
      stations: options.scale ?? 1,
    });
    total += rows;
    console.log(`${file}: ${rows} rows, ${(bytes / 1024).toFixed(0)} KiB`);
  }
  console.log(`${total} rows in ${options.years.length} files`);
}

if (require.main === module) main();
