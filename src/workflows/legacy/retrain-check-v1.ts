import {
  executeChild,
  proxyActivities,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../../contracts';
import { chooseYears, decideRetraining } from '../../retraining/policy';
import { MODEL_NAME, RETRAIN_DECISION, RUN_TRIGGER } from '../../contracts/search-attributes';
import { trainingWorkflow } from '../training';
import type { DriftSummary, RetrainCheckResult, RetrainCheckWorkflowInput } from '../../contracts';

const { inspectDataState, assessDrift, commitDataState } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: ['DatasetError', 'InvalidInput', 'RegistryError'] },
});

/**
 * The check as it ran before the `retrain-check-v2` patch. Kept only so that histories started by that code
 * (recorded without the patch marker) replay; every new check runs retrainCheckWorkflow's v2 path.
 */
export async function retrainCheckV1(input: RetrainCheckWorkflowInput): Promise<RetrainCheckResult> {
  const { workflowId } = workflowInfo();
  const modelName = input.training.modelName;
  const inspection = await inspectDataState({ dataUri: input.dataUri, filePrefix: input.filePrefix });
  const { diff } = inspection;
  const fresh = [...diff.added, ...diff.changed];

  const watchesModel = input.policy.retrainOnDrift || input.policy.retrainOnDecay;
  const newest = inspection.objects[inspection.objects.length - 1]?.key;
  const assessKeys = fresh.length > 0 ? fresh : watchesModel && newest ? [newest] : [];
  let drift: DriftSummary | undefined;
  if (assessKeys.length > 0) {
    drift = await assessDrift({
      dataUri: input.dataUri,
      keys: assessKeys,
      modelName,
      psiThreshold: input.policy.psiThreshold,
      checkId: workflowId,
    });
  }

  const decision = decideRetraining({ diff, drift, decay: drift?.decay, policy: input.policy });
  upsertSearchAttributes([{ key: RETRAIN_DECISION, value: decision.decision }]);
  upsertMemo({ decision: decision.decision, reasons: decision.reasons.join('; ') });
  const base = { diff, drift, reasons: decision.reasons };
  if (!decision.retrain)
    return { ...base, decision: decision.decision, retrained: false, stateCommitted: false };

  const { years, validationYear } = chooseYears({
    years: inspection.objects.map((o) => o.year),
    completeYears: inspection.completeYears,
    validationYear: input.validationYear,
  });
  // One training per data state: a second check of the same state finds this id taken.
  const trainingWorkflowId = `retrain-${modelName}-${inspection.fingerprint}`;
  let training;
  try {
    training = await executeChild(trainingWorkflow, {
      workflowId: trainingWorkflowId,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      typedSearchAttributes: [
        { key: MODEL_NAME, value: modelName },
        { key: RUN_TRIGGER, value: 'retrain' },
      ],
      memo: { dataUri: input.dataUri, years: years.join(','), validationYear, startedBy: workflowId },
      args: [
        {
          ...input.training,
          dataUri: input.dataUri,
          filePrefix: input.filePrefix,
          years,
          validationYear,
          trigger: 'retrain',
          trialTaskQueue: input.trialTaskQueue,
        },
      ],
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      return {
        ...base,
        decision: 'already-training',
        retrained: false,
        trainingWorkflowId,
        reasons: [
          ...decision.reasons,
          `training ${trainingWorkflowId} for this data state is already running or done`,
        ],
        stateCommitted: false,
      };
    }
    throw err;
  }
  await commitDataState({ dataUri: input.dataUri, objects: inspection.objects, trainingWorkflowId });
  return {
    ...base,
    decision: decision.decision,
    retrained: true,
    trainingWorkflowId,
    training: {
      bestRmse: training.search?.leaderboard[0]?.metrics.rmse,
      championVersion: training.registration?.champion.championVersion,
      championDecision: training.registration?.champion.decision,
    },
    stateCommitted: true,
  };
}
