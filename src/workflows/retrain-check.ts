import {
  ApplicationFailure,
  executeChild,
  patched,
  proxyActivities,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';
import { cyrb53 } from '../retraining/data-state';
import { chooseTrainingYears, decideRetraining, RetrainPolicyError } from '../retraining/policy';
import { retrainCheckV1 } from './retrain-check-v1';
import { MODEL_NAME, RETRAIN_DECISION, RUN_TRIGGER } from './search-attributes';
import { trainingWorkflow } from './training';
import { shouldSetSearchAttributes } from './typed-attributes';
import type {
  DataStateInspection,
  DriftSummary,
  RetrainCheckInput,
  RetrainCheckResult,
  RunTrigger,
  TrainingResult,
} from './types';

export interface RetrainCheckWorkflowInput extends RetrainCheckInput {
  trialTaskQueue: string;
}

/** Error types of this check that no retry can fix: the check fails at once and says why. */
export const CHECK_FAILURE_TYPES = {
  policy: 'RetrainPolicyError',
  unreadable: 'UnreadableDataFile',
} as const;

const DEFAULT_TRAINING_TIMEOUT_MINUTES = 6 * 60;

const { inspectDataState, assessDrift, commitDataState, describeTrainingData, findTraining } =
  proxyActivities<Activities>({
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: '2 minutes',
    retry: {
      initialInterval: '2 seconds',
      backoffCoefficient: 2,
      maximumAttempts: 5,
      nonRetryableErrorTypes: ['DatasetError', 'InvalidInput', 'RegistryError'],
    },
  });

/**
 * The seed's automatic_retraining sensor, made durable: new or changed objects (or, by policy, drift or
 * decay) start a training run; the data state is committed, by compare-and-set, only after that training
 * succeeded, and only when the data set it trained on is not the champion's.
 */
export async function retrainCheckWorkflow(input: RetrainCheckWorkflowInput): Promise<RetrainCheckResult> {
  if (!patched('retrain-check-v2')) return retrainCheckV1(input);
  const { workflowId } = workflowInfo();
  const modelName = input.training.modelName;
  const schema = input.training.schema;
  const inspection = await inspectDataState({
    dataUri: input.dataUri,
    filePrefix: input.filePrefix,
    modelName,
    schema,
  });
  const { diff } = inspection;
  // A file that cannot be read would be left out of the training while its fingerprint is committed.
  if (inspection.unreadable && inspection.unreadable.length > 0) {
    const list = inspection.unreadable.map((u) => u.error).join('; ');
    decide('failed-unreadable', [list]);
    throw ApplicationFailure.nonRetryable(
      `cannot read ${inspection.unreadable.length} data file(s), nothing trained or committed: ${list}`,
      CHECK_FAILURE_TYPES.unreadable,
    );
  }
  const fresh = [...diff.added, ...diff.changed];

  const watchesModel = input.policy.retrainOnDrift || input.policy.retrainOnDecay;
  const newest = inspection.objects[inspection.objects.length - 1]?.key;
  const assessKeys = fresh.length > 0 ? fresh : watchesModel && newest ? [newest] : [];
  let drift: DriftSummary | undefined;
  const logDays = input.driftFromPredictionLogDays;
  if (assessKeys.length > 0 || logDays !== undefined) {
    drift = await assessDrift({
      dataUri: input.dataUri,
      keys: assessKeys,
      modelName,
      psiThreshold: input.policy.psiThreshold,
      checkId: workflowId,
      schema,
      ...(logDays === undefined ? {} : { predictionLogDays: logDays }),
    });
  }

  const verdict = decideRetraining({ diff, drift, decay: drift?.decay, policy: input.policy });
  const base = { diff, drift, reasons: verdict.reasons };
  if (!verdict.retrain) {
    decide(verdict.decision, verdict.reasons);
    return { ...base, decision: verdict.decision, retrained: false, stateCommitted: false };
  }

  let choice;
  try {
    choice = chooseTrainingYears({
      years: inspection.objects.map((o) => o.year),
      validationYear: input.validationYear,
    });
  } catch (err) {
    if (!(err instanceof RetrainPolicyError)) throw err;
    decide('failed-policy', [err.message]);
    throw ApplicationFailure.nonRetryable(err.message, CHECK_FAILURE_TYPES.policy);
  }
  const { years, validationYear } = choice;
  const planned = await describeTrainingData({
    dataUri: input.dataUri,
    filePrefix: input.filePrefix,
    modelName,
    years,
    validationYear,
    schema,
    objects: inspection.objects,
    features: input.training.features,
    ...(input.training.earlyStoppingRounds === 0 ? { earlyStoppingSlice: false } : {}),
  });

  const dataTriggered = verdict.decision === 'new-data' || verdict.decision === 'changed-data';
  const knownHashes = [planned.champion?.datasetHash, inspection.previousDatasetHash];
  if (dataTriggered && knownHashes.includes(planned.datasetHash)) {
    // New ETags, same bytes (or only files outside the training set changed): the model learnt exactly this.
    const whose =
      planned.champion?.datasetHash === planned.datasetHash
        ? `champion v${planned.champion.version}`
        : 'the last committed training';
    const reasons = [
      ...verdict.reasons,
      `the data set it would train on (${planned.datasetHash}) is the one ${whose} was trained on: nothing to learn`,
    ];
    decide('unchanged-training-data', reasons);
    // The state records this check as the one that saw the objects; no training ran.
    const commit = await commit_(input, inspection, workflowId, planned.datasetHash);
    return {
      ...base,
      reasons: commit.note ? [...reasons, commit.note] : reasons,
      decision: 'unchanged-training-data',
      retrained: false,
      stateCommitted: commit.committed,
      commitNote: commit.note,
    };
  }

  // Drift or decay on unchanged files is its own intended run: its own id and seed, and it registers only a
  // model that beats the champion. New or changed files get one training per data state.
  const trigger: RunTrigger = dataTriggered ? 'retrain' : `retrain-${verdict.decision as 'drift' | 'decay'}`;
  // One drift (or decay) training per data state: unchanged files that stay drifted would otherwise retrain
  // every day, each run on the same data with a new seed.
  const oncePerState = patched('drift-retrain-once-per-data-state');
  const trainingWorkflowId = dataTriggered
    ? `retrain-${modelName}-${inspection.fingerprint}`
    : oncePerState
      ? `retrain-${modelName}-${inspection.fingerprint}-${verdict.decision}`
      : `retrain-${modelName}-${inspection.fingerprint}-${verdict.decision}-${workflowId}`;
  const seed = dataTriggered
    ? input.training.seed
    : cyrb53(oncePerState ? trainingWorkflowId : workflowId, input.training.seed) % 2 ** 31;
  decide(verdict.decision, verdict.reasons);

  let training: TrainingResult | undefined;
  try {
    training = await executeChild(trainingWorkflow, {
      workflowId: trainingWorkflowId,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      workflowExecutionTimeout: `${input.trainingTimeoutMinutes ?? DEFAULT_TRAINING_TIMEOUT_MINUTES} minutes`,
      typedSearchAttributes: shouldSetSearchAttributes()
        ? [
            { key: MODEL_NAME, value: modelName },
            { key: RUN_TRIGGER, value: trigger },
          ]
        : undefined,
      memo: {
        dataUri: input.dataUri,
        years: years.join(','),
        validationYear,
        startedBy: workflowId,
        retrainTrigger: verdict.decision,
      },
      args: [
        {
          ...input.training,
          seed,
          dataUri: input.dataUri,
          filePrefix: input.filePrefix,
          years,
          validationYear,
          trigger,
          registerOnlyIfBetter: !dataTriggered,
          ...(drift ? { driftReportRef: drift.reportRef } : {}),
          trialTaskQueue: input.trialTaskQueue,
          expectedObjects: inspection.objects
            .filter((o) => years.includes(o.year))
            .map((o) => ({ key: o.key, etag: o.etag })),
        },
      ],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    // A training of this very data state exists. Done: the earlier check did not get to commit (store down,
    // check terminated): commit now. Running: leave it to finish; a later check commits it.
    const found = await findTraining({ workflowId: trainingWorkflowId });
    if (found.status !== 'completed' || !found.result) {
      const reasons = [
        ...verdict.reasons,
        `training ${trainingWorkflowId} for this data state is ${found.status === 'running' ? 'still running' : found.status}`,
      ];
      decide('already-training', reasons);
      return {
        ...base,
        decision: 'already-training',
        retrained: false,
        trainingWorkflowId,
        reasons,
        stateCommitted: false,
      };
    }
    if (!dataTriggered && oncePerState) {
      const registered = found.result.registration?.versions.map((v) => `v${v.version}`).join(', ');
      const reasons = [
        ...verdict.reasons,
        `a ${verdict.decision}-triggered training of this data state already ran (${trainingWorkflowId}, ${registered ? `registered ${registered}` : 'registered nothing: it did not beat the champion'}); the next one waits for new data`,
      ];
      decide('already-retrained', reasons);
      return {
        ...base,
        decision: 'already-retrained',
        retrained: false,
        trainingWorkflowId,
        reasons,
        stateCommitted: false,
      };
    }
    training = found.result;
    base.reasons = [
      ...verdict.reasons,
      `training ${trainingWorkflowId} of this data state had already completed; its state is committed now`,
    ];
  }

  const trained: TrainingResult = training;
  const commit = await commit_(input, inspection, trainingWorkflowId, trained.dataset.datasetHash);
  return {
    ...base,
    reasons: commit.note ? [...base.reasons, commit.note] : base.reasons,
    decision: verdict.decision,
    retrained: true,
    trainingWorkflowId,
    training: {
      bestRmse: trained.search?.leaderboard[0]?.metrics.rmse,
      championVersion: trained.registration?.champion.championVersion,
      championDecision: trained.registration?.champion.decision,
      datasetHash: trained.dataset.datasetHash,
      versions: trained.registration?.versions.map((v) => v.version),
    },
    stateCommitted: commit.committed,
    commitNote: commit.note,
  };
}

function decide(decision: string, reasons: string[]): void {
  if (shouldSetSearchAttributes()) upsertSearchAttributes([{ key: RETRAIN_DECISION, value: decision }]);
  upsertMemo({ decision, reasons: reasons.join('; ') });
}

/**
 * Commits the inspected objects as processed, by compare-and-set on the state as the check read it. A run
 * that registers nothing or searches nothing (`--register false`, `--fine-tuning false` without params)
 * produced no model from the data, so it commits nothing.
 */
async function commit_(
  input: RetrainCheckWorkflowInput,
  inspection: DataStateInspection,
  trainingWorkflowId: string,
  datasetHash: string,
): Promise<{ committed: boolean; note?: string }> {
  const t = input.training;
  if (!t.registerModels || (!t.runFineTuning && !t.params)) {
    const off = !t.registerModels ? '--register false' : '--fine-tuning false';
    return { committed: false, note: `data state not committed: ${off} trains no model to record` };
  }
  const result = await commitDataState({
    dataUri: input.dataUri,
    filePrefix: input.filePrefix,
    modelName: t.modelName,
    objects: inspection.objects,
    trainingWorkflowId,
    datasetHash,
    expectedSeq: inspection.stateSeq ?? 0,
  });
  if (result.committed === false) {
    return {
      committed: false,
      note: `data state not committed: another check committed state ${result.seq} first; the next check compares against it`,
    };
  }
  return { committed: true };
}
