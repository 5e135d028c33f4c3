/**
 * Trials per minute over several worker processes: one search (random proposals, no pruning, so every
 * layout trains the very same models) through a Temporal dev server, served by one process with two training
 * threads, two processes with one thread each, and three processes with one thread each. The first process
 * of each layout also serves the main queue (workflows, prepare, register, report). See docs/scaling.md.
 *
 *   npm run bench:workers                       table on stdout, progress on stderr
 *   npm run -s bench:workers -- --json          only a JSON object on stdout
 *   node dist/scripts/bench/many-workers.js [--trials 60] [--layouts 1x2,2x1,3x1] [--repeat 1] [--seed 42]
 *     [--parallelism 16] [--early-stopping 30]
 *
 * Data: $DATA_DIR, else ../shared/data/metro-traffic/by-year (the real data set), else data/sample.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { cleanupAll, installSignalHandlers } from './cleanup';
import { locateData, prepare } from './data';
import { temporalSearch, type SearchSettings, type TemporalRun } from './search';
import { startDevServer } from './server';
import { median, progress, round } from './stats';

const PROJECT_ROOT = path.resolve(__dirname, '../../..');
/** Issue 21's target: two processes of one thread reach at least this share of one process of two. */
const TARGET_TWO_BY_ONE_VS_ONE_BY_TWO = 0.9;

interface Layout {
  name: string;
  processes: number;
  threadsPerProcess: number;
}

function parseLayouts(text: string): Layout[] {
  return text.split(',').map((item) => {
    const match = /^(\d+)x(\d+)$/.exec(item.trim());
    if (!match || Number(match[1]) < 1 || Number(match[2]) < 1)
      throw new Error(`--layouts: "${item}" is not <processes>x<threads per process>, e.g. 2x1`);
    return { name: item.trim(), processes: Number(match[1]), threadsPerProcess: Number(match[2]) };
  });
}

function integer(name: string, text: string | undefined, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`--${name} must be an integer >= ${min} (got ${text})`);
  return n;
}

interface LayoutResult {
  layout: string;
  processes: number;
  threads_per_process: number;
  total_threads: number;
  /** Median over the repeats. */
  search_s: number;
  trials_per_minute: number;
  whole_run_s: number;
  runs: {
    search_ms?: number;
    whole_run_ms: number;
    succeeded: number;
    failures: number;
    trials_by_process: (number | undefined)[];
    peak_rss_mb: (number | undefined)[];
    disturbance?: TemporalRun['disturbance'];
  }[];
  /** Validation RMSE by trial index of the first repeat: must equal every other layout's. */
  rmses: number[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      trials: { type: 'string', default: '60' },
      layouts: { type: 'string', default: '1x2,2x1,3x1' },
      repeat: { type: 'string', default: '1' },
      seed: { type: 'string', default: '42' },
      parallelism: { type: 'string', default: '16' },
      'early-stopping': { type: 'string', default: '30' },
    },
  });
  if (values.json) console.log = (...args: unknown[]) => console.error(...args); // stdout is for the JSON only
  const layouts = parseLayouts(values.layouts);
  const repeat = integer('repeat', values.repeat, 1);
  installSignalHandlers();
  Runtime.install({ logger: new DefaultLogger('WARN') });

  const source = locateData(PROJECT_ROOT);
  progress(`data: ${source.kind} ${source.dir} (${source.files.map((f) => f.year).join(', ')})`);
  const validationYear = prepare(source.files).validationYear;
  const settings: SearchSettings = {
    trials: integer('trials', values.trials, 1),
    seed: integer('seed', values.seed, 0),
    parallelism: integer('parallelism', values.parallelism, 1),
    earlyStoppingRounds: integer('early-stopping', values['early-stopping'], 0),
    top: 2,
    engine: 'native',
    validationYear,
  };

  const results: LayoutResult[] = [];
  for (const layout of layouts) {
    const runs: TemporalRun[] = [];
    for (let rep = 1; rep <= repeat; rep++) {
      // A fresh dev server per run: no run inherits another's history or task-queue state.
      const server = await startDevServer();
      try {
        const run = await temporalSearch(server, {
          label: `w${layout.name}-r${rep}`,
          source,
          settings,
          processes: Array.from({ length: layout.processes }, () => ({
            trainingThreads: layout.threadsPerProcess,
          })),
        });
        runs.push(run);
        progress(`${layout.name} r${rep}: search ${((run.phasesMs.search ?? run.ms) / 1000).toFixed(1)} s`);
      } finally {
        await server.stop();
      }
    }
    const searchMs = median(runs.map((r) => r.phasesMs.search ?? r.ms));
    results.push({
      layout: layout.name,
      processes: layout.processes,
      threads_per_process: layout.threadsPerProcess,
      total_threads: layout.processes * layout.threadsPerProcess,
      search_s: round(searchMs / 1000, 2),
      trials_per_minute: round((settings.trials / searchMs) * 60_000),
      whole_run_s: round(median(runs.map((r) => r.ms)) / 1000, 2),
      runs: runs.map((r) => ({
        search_ms: r.phasesMs.search,
        whole_run_ms: r.ms,
        succeeded: r.succeeded,
        failures: r.failures,
        trials_by_process: r.workers.map((w) => w.trials),
        peak_rss_mb: r.workers.map((w) => w.peakRssMb),
        disturbance: r.disturbance,
      })),
      rmses: runs[0].rmses,
    });
  }

  const reference = results[0];
  const sameTrials = results.every((r) => JSON.stringify(r.rmses) === JSON.stringify(reference.rmses));
  const oneByTwo = results.find((r) => r.processes === 1 && r.threads_per_process === 2);
  const twoByOne = results.find((r) => r.processes === 2 && r.threads_per_process === 1);
  const ratio =
    oneByTwo && twoByOne ? round(twoByOne.trials_per_minute / oneByTwo.trials_per_minute, 3) : undefined;
  const report = {
    data: { kind: source.kind, dir: source.dir, years: source.files.map((f) => f.year), validationYear },
    settings: { ...settings, strategy: 'random, no pruning (identical trials in every layout)', repeat },
    layouts: results.map(({ rmses: _rmses, ...rest }) => rest),
    same_trials_in_every_layout: sameTrials,
    two_by_one_vs_one_by_two: ratio,
    target: TARGET_TWO_BY_ONE_VS_ONE_BY_TWO,
  };
  if (values.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    return;
  }
  console.log(
    `${settings.trials} trials, data ${source.kind} (${source.files.map((f) => f.year).join(', ')})`,
  );
  console.log(
    'layout  processes  threads  search s  trials/min  whole run s  trials per process  peak RSS MB',
  );
  for (const r of results) {
    const first = r.runs[0];
    console.log(
      `${r.layout.padEnd(6)}  ${String(r.processes).padStart(9)}  ${String(r.total_threads).padStart(7)}  ` +
        `${r.search_s.toFixed(2).padStart(8)}  ${String(r.trials_per_minute).padStart(10)}  ` +
        `${r.whole_run_s.toFixed(2).padStart(11)}  ${first.trials_by_process.join('/').padStart(18)}  ` +
        `${first.peak_rss_mb.join('/')}`,
    );
  }
  console.log(`every layout trained the same trials (RMSE by index): ${sameTrials ? 'yes' : 'NO'}`);
  if (ratio !== undefined)
    console.log(`2x1 / 1x2 trials per minute: ${ratio} (target >= ${TARGET_TWO_BY_ONE_VS_ONE_BY_TWO})`);
}

main()
  .catch((err: unknown) => {
    console.error(`bench:workers: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  })
  .finally(() => cleanupAll());
