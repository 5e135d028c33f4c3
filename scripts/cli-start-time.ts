/**
 * Wall time of the CLI as a user starts it: `npm run client -- …` and the `traffic-ml` bin, for `--help`
 * and `models list` (a local registry, no Temporal server needed). Median of several runs after one warm-up.
 *
 *   node dist/scripts/cli-start-time.js [--runs 5] [--json]
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { median, progress, round } from './bench/stats';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');

const root = path.resolve(__dirname, '..', '..');
const cases: { name: string; command: string[] }[] = [
  { name: 'npm run client -- --help', command: ['npm', 'run', '-s', 'client', '--', '--help'] },
  { name: 'npm run client -- models list', command: ['npm', 'run', '-s', 'client', '--', 'models', 'list'] },
  { name: 'npx traffic-ml --help', command: ['npx', '--no-install', 'traffic-ml', '--help'] },
  { name: 'npx traffic-ml models list', command: ['npx', '--no-install', 'traffic-ml', 'models', 'list'] },
  { name: 'node dist/src/client.js models list', command: ['node', 'dist/src/client.js', 'models', 'list'] },
];

function timeOnce(command: string[]): number | undefined {
  const start = process.hrtime.bigint();
  const out = spawnSync(command[0], command.slice(1), { cwd: root, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (out.status !== 0) {
    progress(`${command.join(' ')} failed (exit ${out.status}): ${out.stderr.trim().split('\n')[0]}`);
    return undefined;
  }
  return ms;
}

const results = cases.map(({ name, command }) => {
  timeOnce(command); // warm-up: page cache, and a stale build is rebuilt here rather than measured
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const ms = timeOnce(command);
    if (ms === undefined) break;
    samples.push(ms);
  }
  const result = {
    name,
    runs: samples.length,
    medianS: samples.length === runs ? round(median(samples) / 1000, 2) : null,
    samplesS: samples.map((ms) => round(ms / 1000, 2)),
  };
  progress(`${name}: median ${result.medianS ?? 'failed'} s over ${samples.length} runs`);
  return result;
});

// The machine is shared: the load average says how busy it was while these numbers were taken.
const loadAverage = os.loadavg().map((l) => round(l, 1));
if (values.json)
  console.log(JSON.stringify({ runs, cores: os.availableParallelism(), loadAverage, results }, null, 2));
else {
  for (const r of results) console.log(`${r.name.padEnd(40)} ${r.medianS ?? 'failed'} s`);
  console.log(`(${os.availableParallelism()} cores, load average ${loadAverage.join(' ')})`);
}
