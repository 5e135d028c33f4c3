/**
 * Model quality tables from the rolling-origin backtest (docs/model-quality.md), one backtest per row:
 *
 * - ablation: the defaults, then each v2 derived feature left out in turn (`--without <f>`), then
 *   `--with weather_description`;
 * - recency: other recency half-lives (`--recency-half-life <y|off>`) against the defaults' (0.5 years);
 * - coverage: per origin year, the empirical coverage and mean width of the defaults' intervals (and of the
 *   other interval calibrations of the same settings);
 * - calendar: the other holiday calendar (`--holidays federal`) against the defaults, and the defaults before
 *   issue 22 (federal holidays, no recency weights, one-year-ahead intervals) (RMSE and coverage).
 *
 *   npm run bench:quality [-- --json] [--trials 30] [--origins 2014,2015,2016] [--half-lives off,0.25,1,2]
 *                         [--ablate holiday_day,...] [--tables ablation,recency,coverage] [--threads 2]
 *                         [--keep-artifacts <dir>] [--extra='<client backtest flags for every row>']
 *
 * Each backtest is exactly `client backtest` with the same flags (the CLI's own option parser builds its
 * input), run against a Temporal dev server owned by this script and one in-process worker. Data: $DATA_DIR,
 * else ../shared/data/metro-traffic/by-year, else data/sample. Origins must be ≤ 2016: an origin Y reads
 * the years first-year … Y only, so 2017 and 2018 are never read.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import { Command } from 'commander';
import {
  addTrainingOptions,
  DEFAULT_HOLIDAYS,
  trainingInputFrom,
  type TrainingFlags,
} from '../../src/cli/training-options';
import type { AppConfig } from '../../src/config';
import { DERIVED_FEATURES_V2 } from '../../src/features/features-v2';
import { DEFAULT_INTERVAL_LEVEL, INTERVAL_METHODS } from '../../src/evaluation/prediction-interval';
import { DEFAULT_INTERVAL_METHOD } from '../../src/contracts/search';
import { createWorkers } from '../../src/runtime/workers';
import { backtestWorkflow } from '../../src/workflows/backtest';
import type { BacktestInput, BacktestResult } from '../../src/contracts';
import { cleanupAll, installSignalHandlers, onCleanup } from './cleanup';
import { locateData } from './data';
import { startDevServer } from './server';
import { progress, round } from './stats';

const PROJECT_ROOT = path.resolve(__dirname, '../../..');
/** The last year any decision may look at: 2017 and 2018 stay unseen. */
const LAST_DECISION_YEAR = 2016;
const FIRST_YEAR = 2012;
const TABLES = ['ablation', 'recency', 'coverage', 'calendar'] as const;
type Table = (typeof TABLES)[number];

interface Variant {
  table: Table;
  label: string;
  /** `client backtest` flags beside --trials and --seed. */
  flags: string[];
}

interface VariantResult {
  table: Table;
  label: string;
  command: string;
  rmseByYear: Record<string, number>;
  meanRmse: number;
  /** Relative to the defaults' mean RMSE in the same run. */
  vsDefaults: number;
  coverageByYear: Record<string, { coverage: number; meanWidth: number }>;
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function parseOptions() {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      trials: { type: 'string', default: '30' },
      seed: { type: 'string', default: '42' },
      origins: { type: 'string', default: '2014,2015,2016' },
      'half-lives': { type: 'string', default: 'off,0.25,1,2' },
      ablate: { type: 'string', default: DERIVED_FEATURES_V2.filter((f) => !BASIC.includes(f)).join(',') },
      tables: { type: 'string', default: TABLES.join(',') },
      threads: { type: 'string', default: String(Math.max(1, os.availableParallelism())) },
      'keep-artifacts': { type: 'string' },
      extra: { type: 'string', default: '' },
    },
  });
  const origins = list(values.origins).map(Number);
  const bad = origins.filter((y) => !Number.isInteger(y) || y > LAST_DECISION_YEAR || y < FIRST_YEAR + 2);
  if (bad.length > 0) {
    throw new Error(
      `--origins ${bad.join(', ')}: origins must lie in ${FIRST_YEAR + 2}–${LAST_DECISION_YEAR} (2017 and 2018 stay unseen)`,
    );
  }
  const tables = list(values.tables);
  const unknown = tables.filter((t) => !(TABLES as readonly string[]).includes(t));
  if (unknown.length > 0) throw new Error(`--tables: unknown ${unknown.join(', ')} (${TABLES.join(', ')})`);
  const halfLives = list(values['half-lives']);
  if (halfLives.some((h) => h !== 'off' && !(Number(h) > 0)))
    throw new Error('--half-lives: positive numbers of years or off, e.g. off,1,2');
  return {
    json: values.json,
    trials: values.trials,
    seed: values.seed,
    origins,
    halfLives,
    ablate: list(values.ablate),
    tables: tables as Table[],
    threads: Number(values.threads),
    keepArtifacts: values['keep-artifacts'],
    /** `client backtest` flags added to every row, the "defaults" row included (e.g. `--holidays major`). */
    extra: values.extra.split(/\s+/).filter(Boolean),
  };
}

/** hour, month and day_of_week are v1's calendar too; the ablation is about what v2 added. */
const BASIC = ['hour', 'month', 'day_of_week'];

function variants(options: ReturnType<typeof parseOptions>): Variant[] {
  const out: Variant[] = [{ table: 'coverage', label: 'v2 defaults', flags: [] }];
  if (options.tables.includes('coverage')) {
    // The same models with the other interval calibrations, for the coverage table.
    for (const method of INTERVAL_METHODS.filter((m) => m !== DEFAULT_INTERVAL_METHOD))
      out.push({
        table: 'coverage',
        label: `intervals: ${method}`,
        flags: ['--interval-calibration', method],
      });
  }
  if (options.tables.includes('ablation')) {
    for (const feature of options.ablate)
      out.push({ table: 'ablation', label: `without ${feature}`, flags: ['--without', feature] });
    out.push({
      table: 'ablation',
      label: 'with weather_description',
      flags: ['--with', 'weather_description'],
    });
  }
  if (options.tables.includes('calendar')) {
    // Coverage too: the intervals of a more accurate model are narrower.
    const other = DEFAULT_HOLIDAYS === 'major' ? 'federal' : 'major';
    out.push({ table: 'calendar', label: `holidays: ${other}`, flags: ['--holidays', other] });
    out.push({
      table: 'calendar',
      label: 'before issue 22 part 5: federal, no recency, one-year-ahead',
      flags: [
        '--holidays',
        'federal',
        '--recency-half-life',
        'off',
        '--interval-calibration',
        'one-year-ahead',
      ],
    });
  }
  if (options.tables.includes('recency')) {
    for (const h of options.halfLives)
      out.push({
        table: 'recency',
        label: h === 'off' ? 'no recency weights' : `half-life ${h} y`,
        flags: ['--recency-half-life', h],
      });
  }
  return out;
}

/** The input `client backtest <flags>` would start, through the CLI's own option parser and defaults. */
function backtestTraining(flags: string[], dataUri: string): BacktestInput['training'] {
  const cmd = addTrainingOptions(new Command('backtest').exitOverride(), { withYears: false });
  cmd.parse(flags, { from: 'user' });
  const parsed = cmd.opts<Omit<TrainingFlags, 'years' | 'valYear'>>();
  const {
    years: _years,
    validationYear: _validationYear,
    modelName: _modelName,
    registerModels: _register,
    trigger: _trigger,
    ...training
  } = trainingInputFrom(
    { ...parsed, years: [FIRST_YEAR, FIRST_YEAR + 1], valYear: undefined },
    { dataUri, engine: 'auto', trigger: 'ad-hoc' },
  );
  return training;
}

function quietLogger(entry: LogEntry): void {
  if (entry.message.startsWith('No workflows registered')) return;
  if (entry.level === 'WARN' || entry.level === 'ERROR') process.stderr.write(`[worker] ${entry.message}\n`);
}

async function main(): Promise<void> {
  installSignalHandlers();
  const options = parseOptions();
  const source = locateData(PROJECT_ROOT);
  const years = new Set(source.files.map((f) => f.year));
  for (let y = FIRST_YEAR; y <= Math.max(...options.origins); y++) {
    if (!years.has(y)) throw new Error(`no ${y} file in ${source.dir}`);
  }
  progress(`data: ${source.kind} (${source.dir}); origins ${options.origins.join(', ')}`);
  Runtime.install({ logger: new DefaultLogger('WARN', quietLogger) });
  const server = await startDevServer();
  let artifactsDir: string;
  if (options.keepArtifacts) {
    // Kept for a later look at the stored models and calibrations (e.g. scripts/bench/interval-candidates.ts).
    artifactsDir = path.resolve(options.keepArtifacts);
    fs.mkdirSync(artifactsDir, { recursive: true });
    progress(`artifacts and registry kept in ${artifactsDir}`);
  } else {
    artifactsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-quality-'));
    onCleanup(`artifacts ${artifactsDir}`, () => fs.rmSync(artifactsDir, { recursive: true, force: true }));
  }
  const suffix = Date.now().toString(36);
  const config: AppConfig = {
    temporalAddress: server.address,
    namespace: 'default',
    taskQueue: `quality-main-${suffix}`,
    trialTaskQueue: `quality-trials-${suffix}`,
    dataUri: pathToFileURL(source.dir).href,
    artifactsUri: pathToFileURL(artifactsDir).href,
    s3: { forcePathStyle: true },
    xgboostEngine: 'auto',
  };
  const workers = await createWorkers({ config, trainingThreads: options.threads, nthreadPerTrial: 1 });
  const running = workers.run();
  onCleanup('worker', async () => {
    workers.shutdown();
    await running;
  });

  const results: VariantResult[] = [];
  let defaults: BacktestResult | undefined;
  for (const [i, variant] of variants(options).entries()) {
    const flags = ['--trials', options.trials, '--seed', options.seed, ...options.extra, ...variant.flags];
    const command = `npm run client -- backtest ${flags.join(' ')} --origins ${options.origins.join(',')}`;
    progress(`${i + 1}: ${variant.label} (${command})`);
    const workflowId = `quality-${suffix}-${i}`;
    const result = await server.client.workflow.execute(backtestWorkflow, {
      taskQueue: config.taskQueue,
      workflowId,
      args: [
        {
          training: backtestTraining(flags, config.dataUri),
          firstYear: FIRST_YEAR,
          origins: options.origins,
          modelNamePrefix: workflowId,
          interval: DEFAULT_INTERVAL_LEVEL,
          trialTaskQueue: config.trialTaskQueue,
        },
      ],
    });
    defaults ??= result;
    const coverageByYear: VariantResult['coverageByYear'] = {};
    for (const o of result.origins) {
      if (o.interval) {
        coverageByYear[o.year] = {
          coverage: round(o.interval.coverage * 100, 1),
          meanWidth: round(o.interval.meanWidth, 0),
        };
      }
    }
    results.push({
      table: variant.table,
      label: variant.label,
      command,
      rmseByYear: Object.fromEntries(result.origins.map((o) => [String(o.year), round(o.test.rmse, 1)])),
      meanRmse: round(result.mean.rmse, 1),
      vsDefaults: round((result.mean.rmse / defaults.mean.rmse - 1) * 100, 1),
      coverageByYear,
    });
    progress(`${variant.label}: mean RMSE ${result.mean.rmse.toFixed(1)}`);
  }
  const report = {
    data: source.kind,
    trials: Number(options.trials),
    seed: Number(options.seed),
    origins: options.origins,
    intervalLevel: DEFAULT_INTERVAL_LEVEL,
    results,
  };
  console.log(options.json ? JSON.stringify(report, null, 2) : formatTables(report));
}

function formatTables(report: {
  trials: number;
  origins: number[];
  intervalLevel: number;
  results: VariantResult[];
}): string {
  const years = report.origins.map(String);
  const rmseTable = (rows: VariantResult[]) => [
    `| variant | ${years.join(' | ')} | mean RMSE | vs defaults |`,
    `| --- | ${years.map(() => '---:').join(' | ')} | ---: | ---: |`,
    ...rows.map(
      (r) =>
        `| ${r.label} | ${years.map((y) => r.rmseByYear[y].toFixed(1)).join(' | ')} | ${r.meanRmse.toFixed(1)} | ${r.vsDefaults >= 0 ? '+' : '−'}${Math.abs(r.vsDefaults).toFixed(1)} % |`,
    ),
  ];
  const defaults = report.results[0];
  const out: string[] = [`${report.trials} trials per search; test RMSE on each origin year.`];
  const ablation = report.results.filter((r) => r.table === 'ablation');
  if (ablation.length > 0) out.push('', '### Ablation', '', ...rmseTable([defaults, ...ablation]));
  const calendar = report.results.filter((r) => r.table === 'calendar');
  if (calendar.length > 0) {
    out.push('', '### Holiday calendar', '', ...rmseTable([defaults, ...calendar]));
    for (const r of calendar)
      out.push(
        '',
        `${r.label}, coverage: ${years.map((y) => `${y} ${r.coverageByYear[y]?.coverage.toFixed(1) ?? '-'} % (width ${r.coverageByYear[y]?.meanWidth ?? '-'})`).join(', ')}`,
      );
  }
  const recency = report.results.filter((r) => r.table === 'recency');
  if (recency.length > 0) out.push('', '### Recency', '', ...rmseTable([defaults, ...recency]));
  const coverage = report.results.filter((r) => r.table === 'coverage');
  out.push(
    '',
    `### Coverage of the ${report.intervalLevel * 100} % intervals (defaults; other calibrations of the same settings)`,
    '',
    '| calibration | origin | coverage | mean width (vehicles/h) | test RMSE |',
    '| --- | --- | ---: | ---: | ---: |',
    ...coverage.flatMap((r) =>
      years.map(
        (y) =>
          `| ${r === defaults ? `${DEFAULT_INTERVAL_METHOD} (default)` : r.label} | ${y} | ${r.coverageByYear[y]?.coverage.toFixed(1) ?? '-'} % | ${r.coverageByYear[y]?.meanWidth ?? '-'} | ${r.rmseByYear[y].toFixed(1)} |`,
      ),
    ),
  );
  return out.join('\n');
}

main()
  .then(() => cleanupAll())
  .then(() => process.exit(0))
  .catch(async (err: unknown) => {
    process.stderr.write(`bench:quality failed: ${err instanceof Error ? err.message : String(err)}\n`);
    await cleanupAll();
    process.exit(1);
  });
