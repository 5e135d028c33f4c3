/**
 * How a default training's wall time splits between the search and the work after it (refits of the ensemble
 * members, the final model, registration, the run report with its SHAP values), through Temporal with one
 * worker process on a fresh dev server. Target (issue 21, part 4): after the search ≤ 25 % of the search.
 *
 *   npm run bench:post [-- --json] [--trials 100] [--threads <cores>] [--ensemble 5] [--refit true] [--seed 42]
 *                      [--shap-rows 1000] [--holidays federal|major] [--recency-half-life <years>|off]
 *
 * Data: $DATA_DIR, else ../shared/data/metro-traffic/by-year (the real data set), else data/sample; only the
 * years up to the validation year (2016) are read.
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import {
  DEFAULT_ENSEMBLE,
  DEFAULT_REFIT,
  halfLifeYears,
  qualitySettings,
} from '../../src/cli/training-options';
import { trainingSettingsLine } from '../../src/cli/format';
import { HOLIDAY_CALENDARS, type HolidayCalendar } from '../../src/contracts/dataset';
import { SHAP_SAMPLE_ROWS } from '../../src/evaluation/shap-sample';
import { cleanupAll, installSignalHandlers } from './cleanup';
import { locateData, PREFERRED_VALIDATION_YEAR } from './data';
import { temporalSearch } from './search';
import { startDevServer } from './server';
import { progress, round } from './stats';

const PROJECT_ROOT = path.resolve(__dirname, '../../..');
const TARGET_SHARE = 0.25;

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    trials: { type: 'string', default: '100' },
    threads: { type: 'string', default: String(os.availableParallelism()) },
    ensemble: { type: 'string', default: String(DEFAULT_ENSEMBLE) },
    refit: { type: 'string', default: String(DEFAULT_REFIT) },
    seed: { type: 'string', default: '42' },
    parallelism: { type: 'string', default: '16' },
    'shap-rows': { type: 'string' },
    // Default: the CLI's (qualityDefaults); e.g. `--holidays federal --recency-half-life off` for those before them.
    holidays: { type: 'string' },
    'recency-half-life': { type: 'string' },
  },
});

/** The CLI's quality settings, with --holidays and --recency-half-life as given (parsed as the CLI parses them). */
function qualityFromFlags(): ReturnType<typeof qualitySettings> {
  const holidays = values.holidays as HolidayCalendar | undefined;
  if (holidays !== undefined && !HOLIDAY_CALENDARS.includes(holidays))
    throw new Error(`--holidays must be ${HOLIDAY_CALENDARS.join(' or ')} (got ${holidays})`);
  const halfLife = values['recency-half-life'];
  return qualitySettings('v2', 'native', {
    holidays,
    recencyHalfLife: halfLife === undefined ? undefined : halfLifeYears(halfLife),
  });
}

function integer(name: string, text: string | undefined, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`--${name} must be an integer >= ${min} (got ${text})`);
  return n;
}

async function main(): Promise<void> {
  installSignalHandlers();
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const source = locateData(PROJECT_ROOT);
  const years = source.files.map((f) => f.year);
  const validationYear = years.includes(PREFERRED_VALIDATION_YEAR)
    ? PREFERRED_VALIDATION_YEAR
    : years[years.length - 1];
  const trials = integer('trials', values.trials, 1);
  const threads = integer('threads', values.threads, 1);
  const ensemble = integer('ensemble', values.ensemble, 1);
  const quality = qualityFromFlags();
  const refit = values.refit !== 'false';
  const loadBefore = os.loadavg().map((l) => round(l, 2));
  const server = await startDevServer();
  try {
    const run = await temporalSearch(server, {
      label: 'post',
      source,
      settings: {
        trials,
        seed: integer('seed', values.seed, 0),
        parallelism: integer('parallelism', values.parallelism, 1),
        earlyStoppingRounds: 30,
        top: 2,
        engine: 'native',
        validationYear,
      },
      processes: [{ trainingThreads: threads }],
      // The CLI's defaults: TPE with ASHA, reproducible, its calendar, recency weights and interval calibration;
      // refit and ensemble as given.
      training: {
        strategy: {},
        ...quality,
        refit,
        ensemble,
        ...(values['shap-rows'] === undefined
          ? {}
          : { shapSampleRows: integer('shap-rows', values['shap-rows'], 1) }),
      },
    });
    const { search, afterSearch } = run.phasesMs;
    const result = {
      data: {
        kind: source.kind,
        dir: source.dir,
        years: years.filter((y) => y <= validationYear),
        validationYear,
      },
      settings: {
        trials,
        threads,
        ensemble,
        refit,
        strategy: 'tpe + asha (defaults)',
        quality: trainingSettingsLine({
          features: 'v2',
          ...quality,
          refit,
          ensemble,
        }),
        shapSampleRows: values['shap-rows'] === undefined ? SHAP_SAMPLE_ROWS : Number(values['shap-rows']),
      },
      cpus: os.availableParallelism(),
      load_before: loadBefore,
      load_after: os.loadavg().map((l) => round(l, 2)),
      disturbance_cpu_ms: run.disturbance,
      total_ms: run.ms,
      phases_ms: run.phasesMs,
      after_search_share: search && afterSearch !== undefined ? round(afterSearch / search, 3) : undefined,
      target_share: TARGET_SHARE,
      best_rmse: run.bestRmse,
      search_rounds_trained: run.roundsTrainedSum,
      trials_succeeded: run.succeeded,
      trials_failed: run.failures,
      // Until the worker polls, its chart threads' warm-up included (not part of the training).
      worker_startup_ms: run.workers[0]?.startupMs,
    };
    if (values.json) {
      process.stdout.write(JSON.stringify(result, null, 2) + '\n');
      return;
    }
    const s = (ms: number | undefined) => (ms === undefined ? '–' : `${(ms / 1000).toFixed(1)} s`);
    const p = run.phasesMs;
    process.stdout.write(
      [
        `${trials} trials, ensemble ${ensemble}, refit ${refit}, ${threads} training threads; load ${loadBefore.join(' ')}; worker ready in ${s(result.worker_startup_ms)}`,
        `whole training ${s(run.ms)}: prepare ${s(p.prepare)}, search ${s(p.search)} (its tail, one slot idle: ${s(p.searchTail)}), after the search ${s(afterSearch)}`,
        `  after the search: one-year-ahead trainings, refits and final model ${s(p.finalize)} (finalizeModel ${s(p.finalizeModel)}), register ${s(p.register)}, report ${s(p.report)}`,
        `after the search / search: ${result.after_search_share ?? '–'} (target ≤ ${TARGET_SHARE})`,
      ].join('\n') + '\n',
    );
  } finally {
    await server.stop();
  }
}

main()
  .catch((err: unknown) => {
    progress(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanupAll();
    // Open handles (Temporal runtime, worker threads) must not keep a finished benchmark alive.
    process.exit();
  });
