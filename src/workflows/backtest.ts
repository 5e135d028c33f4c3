import {
  ApplicationFailure,
  executeChild,
  patched,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../contracts';
import { trainingWorkflow } from './training';
import type { BacktestInput, BacktestOrigin, BacktestResult } from '../contracts';
import { DATA_ACTIVITY_RETRY } from './retry-policies';

export interface BacktestWorkflowInput extends BacktestInput {
  trialTaskQueue: string;
}

const { scoreYear } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  retry: DATA_ACTIVITY_RETRY,
});

/** A backtest that cannot produce a result whatever is retried (no training year, no model trained). */
export const BACKTEST_FAILURE_TYPE = 'BacktestError';

/**
 * Rolling-origin backtest. Every origin runs the same training as `train` (a child training workflow, its
 * trials fanned out over the trial workers) on the years before it, under its own model name, and scores
 * that run's champion on the origin year, which no step of the training saw.
 */
export async function backtestWorkflow(input: BacktestWorkflowInput): Promise<BacktestResult> {
  const { workflowId } = workflowInfo();
  const origins = await Promise.all(
    input.origins.map(async (year): Promise<BacktestOrigin> => {
      const validationYear = year - 1;
      const trainYears: number[] = [];
      for (let y = input.firstYear; y < validationYear; y++) trainYears.push(y);
      if (trainYears.length === 0) {
        throw ApplicationFailure.nonRetryable(
          `origin ${year}: no training year between ${input.firstYear} and ${validationYear - 1}`,
          BACKTEST_FAILURE_TYPE,
        );
      }
      const modelName = `${input.modelNamePrefix}-${year}`;
      const training = await executeChild(trainingWorkflow, {
        workflowId: `${workflowId}-${year}`,
        args: [
          {
            ...input.training,
            modelName,
            years: [...trainYears, validationYear],
            validationYear,
            registerModels: true,
            trigger: 'ad-hoc',
            trialTaskQueue: input.trialTaskQueue,
          },
        ],
      });
      const registration = training.registration;
      if (!registration) {
        // e.g. --fine-tuning false without --params: the training only prepares the data.
        const why =
          !input.training.runFineTuning && !input.training.params
            ? ': fine-tuning is off and no --params were given, so it trains no model'
            : '';
        throw ApplicationFailure.nonRetryable(
          `origin ${year}: the training registered no model${why}`,
          BACKTEST_FAILURE_TYPE,
        );
      }
      const scored = await scoreYear({
        dataUri: input.training.dataUri,
        filePrefix: input.training.filePrefix,
        year,
        modelName,
        version: registration.champion.championVersion,
        schema: input.training.schema,
        ...(input.interval === undefined ? {} : { interval: input.interval }),
      });
      const registered = training.finalModel ?? training.search?.leaderboard[0];
      return {
        year,
        trainYears,
        validationYear,
        modelName,
        version: scored.version,
        validationRmse: registration.champion.candidate.rmse,
        ...(registered?.earlyStoppingRmse === undefined
          ? {}
          : { earlyStoppingRmse: registered.earlyStoppingRmse }),
        rows: scored.rows,
        test: scored.metrics,
        ...(scored.interval ? { interval: scored.interval } : {}),
      };
    }),
  );
  const mean = (pick: (o: BacktestOrigin) => number) =>
    origins.reduce((sum, o) => sum + pick(o), 0) / Math.max(1, origins.length);
  const t = input.training;
  return {
    modelNamePrefix: input.modelNamePrefix,
    settings: {
      features: t.features,
      refit: t.refit,
      ensemble: t.ensemble,
      trials: t.trials,
      seed: t.seed,
      params: t.params,
      earlyStoppingRounds: t.earlyStoppingRounds,
      schema: t.schema,
      ...(t.omitFeatures === undefined ? {} : { omitFeatures: t.omitFeatures }),
      ...(t.recencyHalfLife === undefined ? {} : { recencyHalfLife: t.recencyHalfLife }),
      // So that `train --backtest` refuses a backtest of the other holiday calendar (issue 22).
      ...(t.holidays !== undefined && patched('backtest-holidays-setting') ? { holidays: t.holidays } : {}),
    },
    origins,
    mean: { rmse: mean((o) => o.test.rmse), mae: mean((o) => o.test.mae), r2: mean((o) => o.test.r2) },
  };
}
