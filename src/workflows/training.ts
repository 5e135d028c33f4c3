import {
  defineQuery,
  executeChild,
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
    maxBadRowShare: input.maxBadRowShare,
  });
  upsertMemo({
    datasetHash: dataset.datasetHash,
    trainRows: dataset.trainRows,
    badRows: dataset.badRows.map((b) => `${b.file}: ${b.count}`).join('; '),
  });
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

  if (input.registerModels) {
    stage = 'registering';
    result.registration = await registerModels({
      modelName: input.modelName,
      trials: search.best,
      dataset,
      trainingWorkflowId: workflowId,
      onlyIfBetterThanChampion: input.registerOnlyIfBetter,
    });
    upsertMemo({ championVersion: result.registration.champion.championVersion });
  }
  stage = 'done';
  return result;
}
