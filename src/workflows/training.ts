import {
  defineQuery,
  executeChild,
  patched,
  proxyActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { searchWorkflow } from './search';
import { BEST_RMSE } from './search-attributes';
import type { TrainingInput, TrainingResult, TrainingStage } from './types';

export const trainingStageQuery = defineQuery<TrainingStage>('stage');

const { finalizeModel } = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumAttempts: 5,
    nonRetryableErrorTypes: ['InvalidInput'],
  },
});

export interface TrainingWorkflowInput extends TrainingInput {
  trialTaskQueue: string;
}

const { prepareDataset, registerModels } = proxyActivities<Activities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '2 minutes',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumAttempts: 5,
    nonRetryableErrorTypes: ['DatasetError', 'RegistryError', 'InvalidInput'],
  },
});

/** The seed's data_preparation → xgboost_training (fine-tune, register) pipelines as one durable run. */
export async function trainingWorkflow(input: TrainingWorkflowInput): Promise<TrainingResult> {
  const { workflowId } = workflowInfo();
  let stage: TrainingStage = 'preparing';
  setHandler(trainingStageQuery, () => stage);

  const dataset = await prepareDataset({
    dataUri: input.dataUri,
    filePrefix: input.filePrefix,
    years: input.years,
    validationYear: input.validationYear,
    schema: input.schema,
    ...(input.features === undefined ? {} : { features: input.features }),
    ...(input.earlyStoppingRounds === 0 ? { earlyStoppingSlice: false } : {}),
  });
  upsertMemo({ datasetHash: dataset.datasetHash, trainRows: dataset.trainRows });
  const result: TrainingResult = { workflowId, modelName: input.modelName, dataset };

  if (!input.runFineTuning && !input.params) {
    stage = 'done';
    return result;
  }

  stage = 'searching';
  const search = await executeChild(searchWorkflow, {
    workflowId: `${workflowId}-search`,
    args: [
      {
        datasetRef: dataset.datasetRef,
        datasetHash: dataset.datasetHash,
        trials: input.trials,
        top: input.top,
        parallelism: input.parallelism,
        seed: input.seed,
        engine: input.engine,
        earlyStoppingRounds: input.earlyStoppingRounds,
        params: input.params,
        trialTaskQueue: input.trialTaskQueue,
      },
    ],
  });
  result.search = { leaderboard: search.leaderboard, failures: search.failures };
  const bestRmse = search.best[0].metrics.rmse;
  upsertMemo({ bestRmse, trialsSucceeded: search.leaderboard.length, trialsFailed: search.failures.length });
  upsertSearchAttributes([{ key: BEST_RMSE, value: bestRmse }]);

  let toRegister = search.best;
  const ensemble = Math.min(input.ensemble ?? 1, search.leaderboard.length);
  // Runs started before refit and ensemble existed never have them set; patched() keeps their replay exact.
  if ((input.refit === true || ensemble > 1) && patched('refit-ensemble')) {
    stage = 'finalizing';
    const finalModel = await finalizeModel({
      datasetRef: dataset.datasetRef,
      datasetHash: dataset.datasetHash,
      trials: search.leaderboard.slice(0, Math.max(1, ensemble)),
      refit: input.refit === true,
      engine: input.engine,
    });
    result.finalModel = finalModel;
    toRegister = [finalModel];
  }

  if (input.registerModels) {
    stage = 'registering';
    result.registration = await registerModels({
      modelName: input.modelName,
      trials: toRegister,
      dataUri: input.dataUri,
      ...(input.backtest === undefined ? {} : { backtest: input.backtest }),
      dataset,
      trainingWorkflowId: workflowId,
    });
    upsertMemo({ championVersion: result.registration.champion.championVersion });
  }
  stage = 'done';
  return result;
}
