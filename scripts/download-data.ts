/**
 * Downloads the real UCI data set and writes it as by-year files:
 *   npm run data:download [-- --out data/real]
 * Needs network access to archive.ics.uci.edu; everything else in the project runs on data/sample.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Command } from 'commander';
import yauzl from 'yauzl';
import { splitCsvByYear } from '../src/data/split-by-year';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
export const UCI_ZIP_URL =
  'https://archive.ics.uci.edu/static/public/492/metro+interstate+traffic+volume.zip';
const CSV_GZ_ENTRY = 'Metro_Interstate_Traffic_Volume.csv.gz';

async function download(url: string): Promise<Buffer> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(120_000) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(
      `cannot download ${url} (${cause?.code ?? cause?.message ?? (error as Error).message}). ` +
        'Are you offline? The synthetic sample in data/sample works without network.',
      { cause: error },
    );
  }
  if (!response.ok)
    throw new Error(`download of ${url} failed: HTTP ${response.status} ${response.statusText}`);
  return Buffer.from(await response.arrayBuffer());
}

/** The bytes of one entry of a zip archive held in memory. */
export function readZipEntry(zip: Buffer, entryName: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true }, (openError, archive) => {
      if (openError || !archive) return reject(openError ?? new Error('cannot open zip'));
      const names: string[] = [];
      archive.on('entry', (entry: yauzl.Entry) => {
        names.push(entry.fileName);
        if (path.posix.basename(entry.fileName) !== entryName) return archive.readEntry();
        archive.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return reject(streamError ?? new Error(`cannot read ${entryName}`));
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('error', reject);
          stream.on('end', () => {
            archive.close();
            resolve(Buffer.concat(chunks));
          });
        });
      });
      archive.on('end', () => reject(new Error(`zip has no ${entryName} (entries: ${names.join(', ')})`)));
      archive.on('error', reject);
      archive.readEntry();
    });
  });
}

async function main(): Promise<void> {
  const options = new Command()
    .description('Download the UCI Metro Interstate Traffic Volume data and split it into by-year CSV files')
    .option('--out <dir>', 'output directory', path.join(PROJECT_ROOT, 'data', 'real'))
    .option('--url <url>', 'zip URL', UCI_ZIP_URL)
    .parse()
    .opts<{ out: string; url: string }>();

  console.log(`downloading ${options.url}`);
  const zip = await download(options.url);
  const text = gunzipSync(await readZipEntry(zip, CSV_GZ_ENTRY)).toString('utf8');
  const { files, skipped } = splitCsvByYear({ text });
  mkdirSync(options.out, { recursive: true });
  for (const file of files) {
    writeFileSync(path.join(options.out, file.fileName), file.text);
    console.log(`${path.join(options.out, file.fileName)}: ${file.rows} rows`);
  }
  if (skipped.length > 0)
    console.warn(`skipped ${skipped.length} rows with an unreadable date_time, e.g. line ${skipped[0].line}`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`data:download: ${(error as Error).message}`);
    process.exitCode = 1;
  });
}
