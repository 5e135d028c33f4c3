import { Command, Option } from 'commander';
import { addBacktestCommand, backtestSummaryOf } from './cli/backtest-command';
import { addChampionCommands, showVersion } from './cli/champion-commands';
import { describeError } from './cli/errors';
import { addExplainCommand } from './cli/explain-command';
import { addMlflowCommands, mirrorAliasesAfterMove } from './cli/mlflow-command';
import { addReportCommand } from './cli/report-command';
import { addMonitorCommand } from './cli/monitor-command';
import { formatTrainingResult, formatVersions } from './cli/format';
import { runBatchPrediction } from './cli/batch-prediction-run';
import { PREDICTION_BATCH_ROWS, runPrediction } from './cli/prediction-run';
import { readInput, readPredictionRows } from './data/prediction-input';
import { parsePredictionRows } from './data/prediction-rows';
import { formatInterval, INTERVAL_HELP, intervalLevel } from './cli/interval-option';
import { addRetrainOptions, retrainInputFrom, type RetrainFlags } from './cli/retrain-options';
import { formatRetrainResult, startRetrainCheck } from './cli/retrain-run';
import { addScheduleCommands } from './cli/schedule';
import {
  addTrainingOptions,
  DEFAULT_MODEL_NAME,
  trainingInputFrom,
  type TrainingFlags,
} from './cli/training-options';
import { startTraining, waitForTraining } from './cli/training-run';
import { loadConfig, type AppConfig } from './config';
import { runId } from './runtime/arguments';
import { configureLogging, progress, verbosityOf } from './common/logger';
import { connectClient as connect } from './runtime/temporal-connection';
import { ModelRegistry } from './registry/model-registry';
import { openBlobStore } from './storage/from-uri';

function registryOf(config: AppConfig): ModelRegistry {
  return new ModelRegistry(openBlobStore(config.artifactsUri, config.s3));
}

const RUN_ID_HELP =
  'workflow id of the run (letters, digits, ._:@-); default <kind>-<UTC time in ms>-<random>; a taken id is refused';

export function buildProgram(): Command {
  const program = new Command('traffic-ml')
    .description('Traffic-volume MLOps pipeline on Temporal: train, inspect models, predict.')
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ outputError: (str, write) => write(str) })
    .addOption(
      new Option('--quiet', 'results and errors only: no progress lines or info logs').conflicts('verbose'),
    )
    .option('--verbose', 'debug logs on stderr (XGBoost, SDK and storage diagnostics)')
    .hook('preAction', (command) => configureLogging(verbosityOf(command.optsWithGlobals())));

  addTrainingOptions(
    program.command('train').description('start an ad-hoc training run (prepare → search → register)'),
    { withYears: true },
  )
    .option('--run-id <id>', RUN_ID_HELP, runId)
    .option('--wait', 'wait for the result and print it')
    .option('--json', 'print machine-readable JSON')
    .option(
      '--backtest <workflow-id>',
      'record this finished backtest of the same settings with the versions',
    )
    .action(
      async (
        flags: TrainingFlags & { runId?: string; wait?: boolean; json?: boolean; backtest?: string },
      ) => {
        const config = loadConfig();
        const input = trainingInputFrom(flags, {
          dataUri: config.dataUri,
          engine: config.xgboostEngine,
          trigger: 'ad-hoc',
        });
        const client = await connect(config);
        if (flags.backtest) input.backtest = await backtestSummaryOf(client, flags.backtest, input);
        const handle = await startTraining(client, config, input, flags.runId);
        if (!flags.wait) {
          console.log(
            flags.json ? JSON.stringify({ workflowId: handle.workflowId }) : `started ${handle.workflowId}`,
          );
          return;
        }
        const result = await waitForTraining(client, handle, flags.json ? () => undefined : progress);
        const comparison = result.registration?.champion.comparison;
        console.log(
          flags.json
            ? JSON.stringify(comparison ? { ...result, comparison } : result, null, 2)
            : formatTrainingResult(result, input),
        );
      },
    );

  addBacktestCommand(program, { loadConfig, connect });

  const models = program.command('models').description('inspect the model registry');
  models
    .command('list')
    .description('versions of a registered model')
    .option('--model-name <name>', 'registered model name', DEFAULT_MODEL_NAME)
    .option('--json', 'print machine-readable JSON')
    .action(async (opts: { modelName: string; json?: boolean }) => {
      const registry = registryOf(loadConfig());
      const versions = await registry.listVersions(opts.modelName);
      const champion = await registry.getAlias(opts.modelName, 'champion');
      if (opts.json)
        console.log(
          JSON.stringify({ modelName: opts.modelName, champion: champion?.version, versions }, null, 2),
        );
      else if (versions.length === 0) console.log(`no versions of ${opts.modelName} yet`);
      else console.log(formatVersions(versions, champion?.version));
    });
  models
    .command('show <version>')
    .description(
      'one version (a number, or the alias "champion" with its history) with its parameters, metrics and lineage',
    )
    .option('--model-name <name>', 'registered model name', DEFAULT_MODEL_NAME)
    .action(async (ref: string, opts: { modelName: string }) => {
      const config = loadConfig();
      const artifacts = openBlobStore(config.artifactsUri, config.s3);
      const shown = await showVersion(new ModelRegistry(artifacts), opts.modelName, ref, artifacts);
      console.log(JSON.stringify(shown, null, 2));
    });
  addChampionCommands(
    models,
    () => registryOf(loadConfig()),
    (modelName, flags) => mirrorAliasesAfterMove(loadConfig(), modelName, flags.mlflowTrackingUri),
  );
  addMlflowCommands(program, { loadConfig, connect });

  program
    .command('predict [file]')
    .description(
      'predict traffic volume for rows (JSON array, the seed\'s {"inputs": [...]}, or CSV) from a file or stdin',
    )
    .option('--model-name <name>', 'registered model name', DEFAULT_MODEL_NAME)
    .option('--version <version>', 'a version number or alias', 'champion')
    .option('--json', 'print the predictions as a JSON array in input order')
    .option('--interval <level>', INTERVAL_HELP, intervalLevel)
    .action(
      async (
        file: string | undefined,
        opts: { modelName: string; version: string; json?: boolean; interval?: number },
      ) => {
        const { text, source } = readInput(file);
        const rows = readPredictionRows(text, source);
        parsePredictionRows(rows); // fail fast, before any network call, with the row and field named
        const config = loadConfig();
        const client = await connect(config);
        // Large inputs go by reference through the artifact store; small ones in the workflow input.
        const result =
          rows.length > PREDICTION_BATCH_ROWS
            ? await runBatchPrediction(client, config, {
                modelName: opts.modelName,
                version: opts.version,
                text,
                ...(opts.interval === undefined ? {} : { interval: opts.interval }),
              })
            : await runPrediction(client, config, {
                modelName: opts.modelName,
                version: opts.version,
                rows,
                ...(opts.interval === undefined ? {} : { interval: opts.interval }),
              });
        const intervals = result.intervals;
        if (opts.json) {
          console.log(
            JSON.stringify(
              intervals
                ? result.predictions.map((prediction, i) => ({ prediction, interval: intervals[i] }))
                : result.predictions,
            ),
          );
          return;
        }
        console.log(
          `${result.modelName} v${result.version} (${result.engine})${opts.interval === undefined ? '' : `, ${opts.interval * 100} % intervals`}`,
        );
        result.predictions.forEach((p, i) => {
          const row = rows[i];
          const interval = intervals ? `\t${formatInterval(intervals[i])}` : '';
          console.log(
            `${String(row.date_time ?? `row ${i}`)}\t${String(row.holiday ?? '')}\t${Math.round(p)} vehicles/h${interval}`,
          );
        });
      },
    );
  addRetrainOptions(
    program.command('retrain-check').description('run the retraining check once, outside the schedule'),
  )
    .option('--run-id <id>', RUN_ID_HELP, runId)
    .option('--wait', 'wait for the result and print it')
    .option('--json', 'print machine-readable JSON')
    .action(async (flags: RetrainFlags & { runId?: string; wait?: boolean; json?: boolean }) => {
      const config = loadConfig();
      const client = await connect(config);
      const handle = await startRetrainCheck(
        client,
        config,
        retrainInputFrom(flags, { dataUri: config.dataUri, engine: config.xgboostEngine, trigger: 'ad-hoc' }),
        flags.runId,
      );
      if (!flags.wait) {
        console.log(
          flags.json ? JSON.stringify({ workflowId: handle.workflowId }) : `started ${handle.workflowId}`,
        );
        return;
      }
      const result = await handle.result();
      console.log(flags.json ? JSON.stringify(result, null, 2) : formatRetrainResult(result));
    });

  addExplainCommand(program);
  addReportCommand(program);
  addMonitorCommand(program);
  addScheduleCommands(program, {
    getClient: async () => {
      const config = loadConfig();
      return { client: await connect(config), config };
    },
    buildInput: (flags, config) =>
      retrainInputFrom(flags, { dataUri: config.dataUri, engine: config.xgboostEngine, trigger: 'schedule' }),
  });
  return program;
}

/** Runs the CLI on `argv` and exits; the entry point of `bin/traffic-ml.js` and of `node dist/src/client.js`. */
export function main(argv: string[] = process.argv): void {
  buildProgram()
    .parseAsync(argv)
    .then(() => process.exit(0))
    .catch((err: unknown) => {
      console.error(`error: ${describeError(err)}`);
      process.exit(1);
    });
}

if (require.main === module) main();
