/**
 * Writes the synthetic sample data set: `npm run data:generate [-- --years 2017 --out DIR]`.
 * Default: years 2012-2016, every 3rd hour (rotating), into data/sample/ (the committed sample).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { SAMPLE_FILE_PREFIX, generateYear, yearFileName } from '../src/data/synthetic';

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

function main(): void {
  const options = new Command()
    .description('Generate synthetic Metro Interstate traffic CSV files, one per year')
    .option('--years <years>', 'years, e.g. 2012-2016 or 2017', parseYears, parseYears('2012-2016'))
    .option('--out <dir>', 'output directory', path.join(PROJECT_ROOT, 'data', 'sample'))
    .option('--seed <n>', 'random seed', parseInteger, 42)
    .option('--hours-step <n>', 'keep one hour in n (rotating by day)', parseInteger, 3)
    .option('--prefix <prefix>', 'file name prefix', SAMPLE_FILE_PREFIX)
    .parse()
    .opts<{ years: number[]; out: string; seed: number; hoursStep: number; prefix: string }>();

  mkdirSync(options.out, { recursive: true });
  for (const year of options.years) {
    const text = generateYear({ year, seed: options.seed, hoursStep: options.hoursStep });
    const file = path.join(options.out, yearFileName(options.prefix, year));
    writeFileSync(file, text);
    const rows = text.split('\n').length - 2;
    console.log(`${file}: ${rows} rows, ${(text.length / 1024).toFixed(0)} KiB`);
  }
}

if (require.main === module) main();
