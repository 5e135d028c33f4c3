/**
 * Wall time of the CLI as a user starts it: `npm run client -- …` and the `traffic-ml` bin, for `--help`
 * and `models list` (a local registry, no Temporal server needed). Median wall and CPU time of several runs
 * after one warm-up (needs GNU time, /usr/bin/time).
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

interface Sample {
  wallMs: number;
  /** User + system CPU time of the command and its children (GNU time): less sensitive to a busy machine. */
  cpuMs: number;
}

function timeOnce(command: string[]): Sample | undefined {
  const start = process.hrtime.bigint();
  const out = spawnSync('/usr/bin/time', ['-f', 'cpu %U %S', ...command], { cwd: root, encoding: 'utf8' });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  const cpu = /cpu (\d+\.\d+) (\d+\.\d+)\s*$/.exec(out.stderr ?? '');
  if (out.status !== 0 || !cpu) {
    progress(`${command.join(' ')} failed (exit ${out.status}): ${(out.stderr ?? '').trim().split('\n')[0]}`);
    return undefined;
  }
  return { wallMs, cpuMs: (Number(cpu[1]) + Number(cpu[2])) * 1000 };
}

const results = cases.map(({ name, command }) => {
  timeOnce(command); // warm-up: page cache, and a stale build is rebuilt here rather than measured
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    const sample = timeOnce(command);
    if (sample === undefined) break;
    samples.push(sample);
  }
  const complete = samples.length === runs;
  const result = {
    name,
    runs: samples.length,
    medianWallS: complete ? round(median(samples.map((s) => s.wallMs)) / 1000, 2) : null,
    medianCpuS: complete ? round(median(samples.map((s) => s.cpuMs)) / 1000, 2) : null,
    wallS: samples.map((s) => round(s.wallMs / 1000, 2)),
  };
  progress(`${name}: median ${result.medianWallS ?? 'failed'} s wall, ${result.medianCpuS ?? '-'} s CPU`);
  return result;
});

// The machine is shared: the load average says how busy it was while these numbers were taken.
const loadAverage = os.loadavg().map((l) => round(l, 1));
if (values.json)
  console.log(JSON.stringify({ runs, cores: os.availableParallelism(), loadAverage, results }, null, 2));
else {
  for (const r of results)
    console.log(`${r.name.padEnd(40)} ${r.medianWallS ?? 'failed'} s wall  ${r.medianCpuS ?? '-'} s CPU`);
  console.log(`(${os.availableParallelism()} cores, load average ${loadAverage.join(' ')})`);
}
