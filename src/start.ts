import path from 'node:path';
import { Command, Option } from 'commander';
import { formatTrainingResult, formatVersions } from './cli/format';
import { runPrediction } from './cli/prediction-run';
import { SEED_EXAMPLE_ROWS } from './data/prediction-input';
import {
  DEFAULT_COLUMNS,
  DEFAULT_ENSEMBLE,
  DEFAULT_FILE_PREFIX,
  DEFAULT_MODEL_NAME,
  DEFAULT_REFIT,
  qualityDefaults,
} from './cli/training-options';
import { startTraining, waitForTraining } from './cli/training-run';
import { describeError } from './cli/errors';
import { retrainInputFrom } from './cli/retrain-options';
import { createRetrainSchedule, describeRetrainSchedule } from './scheduling/retrain-schedule';
import { DEFAULT_SCHEDULE_ID } from './scheduling/schedule-defaults';
import { loadConfig } from './config';
import type { TrainingInput } from './contracts';
import { describeEngineAvailability } from './engines/select-engine';
import { DEFAULT_FEATURE_SET } from './features/feature-pipeline';
import { ModelRegistry } from './registry/model-registry';
import { positiveInt } from './runtime/arguments';
import { ensureDevServer } from './runtime/dev-server';
import { configureLogging, logger, progress, verbosityOf } from './common/logger';
import { connectClient, connectWorker } from './runtime/temporal-connection';
import { installTemporalRuntime } from './runtime/temporal-runtime';
import { createWorkers } from './runtime/workers';
import { fileUriToRoot } from './storage/file-store';
import { openBlobStore } from './storage/from-uri';

/**
 * The main job (`npm start`): a local Temporal dev server (or the one at TEMPORAL_ADDRESS), a worker,
 * one small training run on the embedded sample, then the leaderboard, the registry and two predictions.
 */
async function main(): Promise<void> {
  const opts = new Command('start')
    .option(
      '--once',
      'exit when the demo run is done, stopping the worker and the dev server it started (without it both keep serving until Ctrl-C)',
    )
    .option('--trials <n>', 'trials in the demo search', positiveInt, 12)
    .addOption(new Option('--quiet', 'results and errors only: no progress lines').conflicts('verbose'))
    .option('--verbose', 'debug logs on stderr (XGBoost, SDK and storage diagnostics)')
    .showHelpAfterError()
    .parse()
    .opts<{ once?: boolean; trials: number; quiet?: boolean; verbose?: boolean }>();
  configureLogging(verbosityOf(opts));
  const config = loadConfig();
  // The demo prints its own progress; the SDK's routine INFO lines show with --verbose only.
  installTemporalRuntime();
  const log = (line: string) => progress(`[start] ${line}`);

  log(`Temporal: looking for a server at ${config.temporalAddress}…`);
  const server = await ensureDevServer({ target: config, dbDir: path.resolve('.temporal') });
  log(
    server.started
      ? `started a dev server (SQLite in .temporal/, Web UI ${server.uiUrl})`
      : 'using the running server',
  );
  const uiBase = server.uiUrl ?? process.env.TEMPORAL_UI_URL ?? 'http://localhost:8233';
  process.env.TEMPORAL_UI_URL = uiBase; // the run report's link to the run (built by this process's worker)

  const nativeConnection = await connectWorker(config);
  const workers = await createWorkers({ config, connection: nativeConnection });
  const workersDone = workers.run();
  log(`worker: ${workers.trainingThreads} training thread(s); engine ${describeEngineAvailability()}`);

  const client = await connectClient(config);
  const started = Date.now();
  const input: TrainingInput = {
    modelName: DEFAULT_MODEL_NAME,
    dataUri: config.dataUri,
    filePrefix: DEFAULT_FILE_PREFIX,
    years: [2012, 2013, 2014, 2015, 2016],
    validationYear: 2016,
    schema: { featureColumns: DEFAULT_COLUMNS, dateTimeColumn: 'date_time', targetColumn: 'traffic_volume' },
    trials: opts.trials,
    top: 2,
    parallelism: workers.trainingThreads * 2,
    seed: 42,
    engine: config.xgboostEngine,
    earlyStoppingRounds: 30,
    runFineTuning: true,
    registerModels: true,
    trigger: 'ad-hoc',
    features: DEFAULT_FEATURE_SET,
    refit: DEFAULT_REFIT,
    ensemble: DEFAULT_ENSEMBLE,
    ...qualityDefaults(DEFAULT_FEATURE_SET, config.xgboostEngine),
  };
  const handle = await startTraining(client, config, input);
  const runUrl = `${uiBase}/namespaces/${config.namespace}/workflows/${encodeURIComponent(handle.workflowId)}`;
  log(`training run ${handle.workflowId} on ${config.dataUri}: ${opts.trials} trials`);
  log(`watch it in the Web UI: ${runUrl}`);
  const result = await waitForTraining(client, handle, log);
  console.log(`\n${formatTrainingResult(result, input)}\n`);

  const registry = new ModelRegistry(openBlobStore(config.artifactsUri, config.s3));
  const champion = await registry.getAlias(DEFAULT_MODEL_NAME, 'champion');
  console.log(`registry ${config.artifactsUri} — ${DEFAULT_MODEL_NAME}:`);
  console.log(`${formatVersions(await registry.listVersions(DEFAULT_MODEL_NAME), champion?.version)}\n`);

  const prediction = await runPrediction(client, config, {
    modelName: DEFAULT_MODEL_NAME,
    version: 'champion',
    rows: SEED_EXAMPLE_ROWS,
  });
  console.log(`predictions of champion v${prediction.version} for the seed's example rows:`);
  SEED_EXAMPLE_ROWS.forEach((row, i) =>
    console.log(
      `  ${row.date_time}  ${row.holiday.padEnd(16)} ${Math.round(prediction.predictions[i])} vehicles/h`,
    ),
  );
  const schedule = await createRetrainSchedule({
    client,
    scheduleId: DEFAULT_SCHEDULE_ID,
    taskQueue: config.taskQueue,
    trialTaskQueue: config.trialTaskQueue,
    input: retrainInputFrom(
      {
        modelName: DEFAULT_MODEL_NAME,
        filePrefix: DEFAULT_FILE_PREFIX,
        columns: DEFAULT_COLUMNS,
        dateTime: 'date_time',
        target: 'traffic_volume',
        trials: 20,
        top: 2,
        parallelism: workers.trainingThreads * 2,
        seed: 42,
        earlyStopping: 30,
        fineTuning: true,
        register: true,
        features: DEFAULT_FEATURE_SET,
        refit: DEFAULT_REFIT,
        ensemble: DEFAULT_ENSEMBLE,
        psiThreshold: 0.2,
        decayRatio: 1.25,
        retrainOnDrift: false,
        retrainOnDecay: false,
      },
      { dataUri: config.dataUri, engine: config.xgboostEngine, trigger: 'schedule' },
    ),
  });
  const view = await describeRetrainSchedule({ client, scheduleId: DEFAULT_SCHEDULE_ID });
  console.log(
    `\nretraining schedule ${DEFAULT_SCHEDULE_ID} ${schedule.created ? 'created' : 'already exists'}: ${view.cron.join(', ')} (${view.timezone}), next run ${view.nextActionTimes[0] ?? 'none (paused)'}; ` +
      `${uiBase}/namespaces/${config.namespace}/schedules/${DEFAULT_SCHEDULE_ID}`,
  );
  console.log(`\ndone in ${((Date.now() - started) / 1000).toFixed(1)} s — run in the Web UI: ${runUrl}`);
  if (result.reportRef) console.log(`run report: ${reportLocation(config.artifactsUri, result.reportRef)}`);

  const stop = async () => {
    workers.shutdown();
    await workersDone;
    await client.connection.close();
    await nativeConnection.close();
    await server.teardown();
  };
  if (opts.once) {
    await stop();
    log(
      server.started
        ? '--once: stopped the worker and the dev server this run started; nothing is left running. ' +
            'The models and reports stay in the artifact store (models list, explain, report and serve read it), ' +
            'the run history in .temporal/. train, predict and retrain-check need a server and a worker: keep ' +
            'them with `npm start` (without --once, until Ctrl-C) in a terminal of its own.'
        : `--once: stopped the worker; the Temporal server at ${config.temporalAddress} (not started here) ` +
            'keeps running. train, predict and retrain-check also need a worker: `npm run worker`.',
    );
    return;
  }
  log(`serving the Web UI at ${uiBase} and the worker; Ctrl-C to stop`);
  await new Promise<void>((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve));
  await stop();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    logger.error(`[start] ${describeError(err)}`);
    process.exit(1);
  },
);

/** A local path for a file artifact store, else the object's URI (`npm run client -- report` copies it out). */
function reportLocation(artifactsUri: string, reportRef: string): string {
  return artifactsUri.startsWith('file://')
    ? path.resolve(fileUriToRoot(artifactsUri), reportRef)
    : `${artifactsUri.replace(/\/+$/, '')}/${reportRef}`;
}
