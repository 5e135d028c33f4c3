import {
  defineQuery,
  executeChild,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../contracts';
import { searchWorkflow } from './search';
import { BEST_RMSE } from '../contracts/search-attributes';
import { shouldSetSearchAttributes } from './typed-attributes';
import { DEFAULT_INFRA_RETRY_WINDOW_MS, trialRetryPolicy } from './trial-retry';
import type { TrainingInput, TrainingResult, TrainingStage } from '../contracts';
import { DATA_ACTIVITY_RETRY } from './retry-policies';
import { INTERVAL_METHOD_WHEN_ABSENT, usesOneYearAhead } from '../contracts/search';

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

/** Refits and one-year-ahead trainings go where trials go, with the trials' heartbeat timeout and retry policy. */
function trialSlotActivities(input: TrainingWorkflowInput) {
  return proxyActivities<Activities>({
    taskQueue: input.trialTaskQueue,
    startToCloseTimeout: '30 minutes',
    // Work in a trial slot heartbeats every 8 s (src/activities/trial-slot.ts), as trials do.
    heartbeatTimeout: '20 seconds',
    retry: trialRetryPolicy(input.infraRetryWindowMs ?? DEFAULT_INFRA_RETRY_WINDOW_MS),
  });
}

const { prepareDataset, registerModels } = proxyActivities<Activities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '2 minutes',
  retry: DATA_ACTIVITY_RETRY,
});

const { buildRunReport } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumAttempts: 3,
    nonRetryableErrorTypes: ['DatasetError', 'InvalidInput'],
  },
});

// MLflow down must never fail or hold up a training for long: a few attempts, then the result says so.
const { mirrorToMlflow } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumAttempts: 3,
    nonRetryableErrorTypes: ['MlflowRejected', 'InvalidInput'],
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
    ...(input.omitFeatures?.length ? { omitFeatures: input.omitFeatures } : {}),
    // Runs from before the patch never asked for a holiday calendar.
    ...(input.holidays !== undefined && patched('holiday-calendar') ? { holidays: input.holidays } : {}),
    ...(input.earlyStoppingRounds === 0 ? { earlyStoppingSlice: false } : {}),
    maxBadRowShare: input.maxBadRowShare,
    // Only in the activity's input (histories replay: a command's input is not compared on replay).
    ...(input.expectedObjects === undefined ? {} : { expectedObjects: input.expectedObjects }),
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
        // An ensemble averages the best k trials: the search must keep (store the models of) that many.
        top: Math.max(input.top, input.ensemble ?? 1),
        parallelism: input.parallelism,
        ...(input.trialsPerActivity === undefined ? {} : { trialsPerActivity: input.trialsPerActivity }),
        seed: input.seed,
        engine: input.engine,
        earlyStoppingRounds: input.earlyStoppingRounds,
        ...(input.recencyHalfLife === undefined ? {} : { recencyHalfLife: input.recencyHalfLife }),
        params: input.params,
        infraRetryWindowMs: input.infraRetryWindowMs,
        maxFailedShare: input.maxFailedShare,
        strategy: input.strategy,
        trialTaskQueue: input.trialTaskQueue,
      },
    ],
  });
  result.search = { leaderboard: search.leaderboard, failures: search.failures };
  if (search.counts) {
    // Searches with a trial table: the leaderboard holds the best trials only.
    result.search.counts = search.counts;
    result.search.trialTableRef = search.trialTableRef;
    result.search.strategy = search.strategy;
  }
  const bestRmse = search.best[0].metrics.rmse;
  upsertMemo({
    bestRmse,
    trialsSucceeded: search.counts
      ? search.counts.succeeded + search.counts.pruned
      : search.leaderboard.length,
    trialsFailed: search.counts?.failed ?? search.failures.length,
    ...(search.strategy ? { sampler: search.strategy.sampler, pruning: search.strategy.pruning } : {}),
  });
  if (shouldSetSearchAttributes()) upsertSearchAttributes([{ key: BEST_RMSE, value: bestRmse }]);

  let toRegister = search.best;
  const ensemble = Math.min(input.ensemble ?? 1, search.leaderboard.length);
  // Runs started before refit and ensemble existed never have them set; patched() keeps their replay exact.
  if ((input.refit === true || ensemble > 1) && patched('refit-ensemble')) {
    stage = 'finalizing';
    const selected = {
      datasetRef: dataset.datasetRef,
      datasetHash: dataset.datasetHash,
      engine: input.engine,
      ...(input.recencyHalfLife === undefined ? {} : { recencyHalfLife: input.recencyHalfLife }),
    };
    const trials = search.leaderboard.slice(0, Math.max(1, ensemble));
    const slotWork = trialSlotActivities(input);
    // Each member's one-year-ahead trainings (for the interval calibration) and its refit are trial-sized work,
    // independent of each other: all at once on the trial queue, in the trials' slots, with their heartbeats.
    // Runs from before these patches do them one after another inside finalizeModel.
    const oneYearAhead =
      usesOneYearAhead(input.intervalMethod ?? INTERVAL_METHOD_WHEN_ABSENT) &&
      patched('one-year-ahead-on-trial-queue')
        ? Promise.all(trials.map((trial) => slotWork.oneYearAheadMember({ ...selected, trial })))
        : undefined;
    const refits =
      input.refit === true && patched('refit-members-on-trial-queue')
        ? Promise.all(trials.map((trial) => slotWork.refitMember({ ...selected, trial })))
        : undefined;
    const [refitted, oneYearAheadMembers] = await Promise.all([refits, oneYearAhead]);
    const finalModel = await finalizeModel({
      ...selected,
      trials,
      refit: input.refit === true,
      ...(refitted ? { refitted } : {}),
      ...(oneYearAheadMembers ? { oneYearAhead: oneYearAheadMembers } : {}),
      // Runs from before the patch never asked for a method; they replay with the activity's default.
      ...(input.intervalMethod !== undefined && patched('interval-method')
        ? { intervalMethod: input.intervalMethod }
        : {}),
    });
    result.finalModel = finalModel;
    toRegister = [finalModel];
  }

  if (input.registerModels) {
    stage = 'registering';
    result.registration = await registerModels({
      modelName: input.modelName,
      trials: toRegister,
      ...(input.backtest === undefined ? {} : { backtest: input.backtest }),
      dataset,
      trainingWorkflowId: workflowId,
      ...(patched('run-report') ? { withRunReport: true } : {}),
      onlyIfBetterThanChampion: input.registerOnlyIfBetter,
      ...(input.evidence === undefined ? {} : { evidence: input.evidence }),
    });
    upsertMemo({ championVersion: result.registration.champion.championVersion });
  }
  if (patched('run-report')) {
    stage = 'reporting';
    // The models are registered by now: a report that cannot be built is logged, not a failed run.
    try {
      const report = await buildRunReport({
        runId: workflowId,
        training: input,
        result,
        startedAt: workflowInfo().startTime.toISOString(),
        parentWorkflowId: workflowInfo().parent?.workflowId,
      });
      result.reportRef = report.reportRef;
      upsertMemo({ reportRef: report.reportRef });
    } catch (err) {
      log.warn('run report not built', { error: (err as Error).message });
    }
  }
  // Only runs started with an MLflow tracking URI mirror; the others' command sequence is unchanged.
  if (input.mlflowTrackingUri !== undefined && patched('mlflow-mirror')) {
    stage = 'mirroring';
    const { mlflowTrackingUri: trackingUri, trialTaskQueue: _queue, ...training } = input;
    try {
      const mirrored = await mirrorToMlflow({
        trackingUri,
        workflowId,
        startedAt: workflowInfo().startTime.toISOString(),
        training,
        result,
      });
      const { created: _created, ...summary } = mirrored;
      result.mlflow = { status: 'mirrored', trackingUri, ...summary };
    } catch (err) {
      const error = causeMessage(err);
      log.warn('MLflow mirror failed; `client mlflow sync` completes it later', { error });
      result.mlflow = { status: 'failed', trackingUri, error };
    }
    upsertMemo({ mlflow: result.mlflow.status });
  }
  stage = 'done';
  return result;
}

/** The activity's own message, not the wrapper's "Activity task failed". */
function causeMessage(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e?.cause) e = e.cause as typeof e;
  return e?.message ?? String(err);
}
