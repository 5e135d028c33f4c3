import type { Client } from '@temporalio/client';
import { Command, InvalidArgumentError } from 'commander';
import type { AppConfig } from '../config';
import { backtestWorkflow } from '../workflows/backtest';
import {
  INTERVAL_METHOD_WHEN_ABSENT,
  type BacktestResult,
  type BacktestSettings,
  type BacktestSummary,
  type IntervalMethod,
  type TrainingInput,
} from '../contracts';
import { positiveInt } from '../runtime/arguments';
import { newRunId } from '../common/run-id';
import { DEFAULT_INTERVAL_LEVEL } from '../evaluation/prediction-interval';
import { intervalLevel } from './interval-option';
import { addTrainingOptions, parseYears, trainingInputFrom, type TrainingFlags } from './training-options';

interface BacktestFlags extends Omit<TrainingFlags, 'years' | 'valYear'> {
  origins: number[];
  firstYear: number;
  json?: boolean;
  interval: number;
}

export interface BacktestCommandDeps {
  loadConfig(): AppConfig;
  connect(config: AppConfig): Promise<Client>;
}

/** Which errors each calibration method's intervals rest on, for the backtest's coverage lines. */
const CALIBRATED_ON: Record<IntervalMethod, string> = {
  'validation-year': 'on the validation year',
  'one-year-ahead': 'on one-year-ahead errors of the validation year and the years before it, pooled',
  'worst-year':
    'on one-year-ahead errors of the validation year and the years before it, each end from the widest year',
};

/** The backtest's table; `intervalMethod`: what the origins' intervals were calibrated with (absent: as an input naming none). */
export function formatBacktest(result: BacktestResult, intervalMethod?: IntervalMethod): string {
  const lines = [
    'origin  trained on   val   early-stop RMSE  val RMSE  test RMSE  test MAE  test R²',
    ...result.origins.map(
      (o) =>
        `${o.year}    ${`${o.trainYears[0]}-${o.trainYears.at(-1)}`.padEnd(11)}  ${o.validationYear}  ${(o.earlyStoppingRmse?.toFixed(1) ?? '-').padStart(15)}  ${o.validationRmse.toFixed(1).padStart(8)}  ${o.test.rmse.toFixed(1).padStart(9)}  ${o.test.mae.toFixed(1).padStart(8)}  ${o.test.r2.toFixed(4)}`,
    ),
    `mean${' '.repeat(50)}${result.mean.rmse.toFixed(1).padStart(9)}  ${result.mean.mae.toFixed(1).padStart(8)}  ${result.mean.r2.toFixed(4)}`,
    `models registered as ${result.modelNamePrefix}-<origin>`,
  ];
  const measured = result.origins.filter((o) => o.interval);
  if (measured.length > 0) {
    const level = measured[0].interval?.level ?? 0;
    const method = intervalMethod ?? INTERVAL_METHOD_WHEN_ABSENT;
    lines.push(
      `${level * 100} % prediction intervals on the origin year (${method}, calibrated ${CALIBRATED_ON[method]}):`,
      'origin  coverage  mean width',
      ...measured.map(
        (o) =>
          `${o.year}    ${`${((o.interval?.coverage ?? 0) * 100).toFixed(1)} %`.padStart(8)}  ${(o.interval?.meanWidth ?? 0).toFixed(0).padStart(10)}`,
      ),
    );
  }
  return lines.join('\n');
}

/** `backtest`: a rolling-origin backtest of the training `train` would run, through Temporal. */
export function addBacktestCommand(program: Command, deps: BacktestCommandDeps): void {
  addTrainingOptions(
    program
      .command('backtest')
      .description(
        'rolling-origin backtest: for each origin year Y, train on the years before Y (validating on Y-1) and score the champion on Y',
      ),
    { withYears: false },
  )
    .option('--origins <years>', 'origin years to score, e.g. 2014-2016', parseYears, [2014, 2015, 2016])
    .option('--first-year <year>', 'first data year every origin trains from', positiveInt, 2012)
    .option('--json', 'print machine-readable JSON')
    .option(
      '--interval <level>',
      'level of the prediction intervals whose coverage and width each origin reports',
      intervalLevel,
      DEFAULT_INTERVAL_LEVEL,
    )
    .action(async (flags: BacktestFlags) => {
      const tooEarly = flags.origins.filter((y) => y < flags.firstYear + 2);
      if (tooEarly.length > 0) {
        throw new InvalidArgumentError(
          `origin(s) ${tooEarly.join(', ')} leave no training year after --first-year ${flags.firstYear} and before the validation year`,
        );
      }
      if (!flags.fineTuning && flags.params === undefined) {
        throw new InvalidArgumentError(
          '--fine-tuning false trains no model to backtest: give --params to backtest one fixed setting',
        );
      }
      const config = deps.loadConfig();
      const {
        years: _years,
        validationYear: _validationYear,
        modelName,
        registerModels: _register,
        trigger: _trigger,
        ...training
      } = trainingInputFrom(
        { ...flags, years: [flags.firstYear, flags.firstYear + 1], valYear: undefined },
        { dataUri: config.dataUri, engine: config.xgboostEngine, trigger: 'ad-hoc' },
      );
      const workflowId = newRunId(`backtest-${modelName}`);
      const client = await deps.connect(config);
      const handle = await client.workflow.start(backtestWorkflow, {
        taskQueue: config.taskQueue,
        workflowId,
        args: [
          {
            training,
            firstYear: flags.firstYear,
            origins: flags.origins,
            modelNamePrefix: workflowId,
            interval: flags.interval,
            trialTaskQueue: config.trialTaskQueue,
          },
        ],
      });
      if (!flags.json) console.error(`started ${handle.workflowId}`);
      const result = await handle.result();
      console.log(
        flags.json ? JSON.stringify(result, null, 2) : formatBacktest(result, training.intervalMethod),
      );
    });
}

/**
 * For `train --backtest <id>`: the finished backtest's summary, refused with one line when it tested other
 * training settings than the run that would record it.
 */
export async function backtestSummaryOf(
  client: Client,
  workflowId: string,
  training: TrainingInput,
): Promise<BacktestSummary> {
  const result = (await client.workflow.getHandle(workflowId).result()) as BacktestResult;
  const keys = Object.keys(result.settings) as (keyof BacktestSettings)[];
  const differ = keys.filter((k) => JSON.stringify(result.settings[k]) !== JSON.stringify(training[k]));
  if (differ.length > 0) {
    throw new InvalidArgumentError(
      `backtest ${workflowId} tested other settings (${differ.map((k) => `${k}: ${JSON.stringify(result.settings[k])} there, ${JSON.stringify(training[k])} here`).join('; ')})`,
    );
  }
  return {
    workflowId,
    meanRmse: result.mean.rmse,
    rmseByYear: Object.fromEntries(result.origins.map((o) => [String(o.year), o.test.rmse])),
  };
}
