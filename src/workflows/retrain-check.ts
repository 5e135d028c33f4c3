import {
  ApplicationFailure,
  executeChild,
  isCancellation,
  deprecatePatch,
  patched,
  proxyActivities,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../contracts';
import type { CheckEvent } from '../contracts';
import { cyrb53 } from '../retraining/data-state';
import { chooseTrainingYears, decideRetraining, RetrainPolicyError } from '../retraining/policy';
import { retrainCheckV1 } from './legacy/retrain-check-v1';
import { MODEL_NAME, RETRAIN_DECISION, RUN_TRIGGER } from '../contracts/search-attributes';
import { trainingWorkflow } from './training';
import { shouldSetSearchAttributes } from './typed-attributes';
import {
  DEFAULT_EVIDENCE,
  type ChallengerCheckResult,
  type RefreshRecordResult,
  type DataStateInspection,
  type DriftSummary,
  type LiveAccuracySummary,
  type RetrainCheckWorkflowInput,
  type RetrainCheckResult,
  type RunTrigger,
  type TrainingResult,
} from '../contracts';
import { DATA_ACTIVITY_RETRY } from './retry-policies';

/** Error types of this check that no retry can fix: the check fails at once and says why. */
export const CHECK_FAILURE_TYPES = {
  policy: 'RetrainPolicyError',
  unreadable: 'UnreadableDataFile',
} as const;

const DEFAULT_TRAINING_TIMEOUT_MINUTES = 6 * 60;

const {
  inspectDataState,
  assessDrift,
  commitDataState,
  describeTrainingData,
  findTraining,
  recheckChallenger,
  judgeRefreshRecord,
  measureLiveAccuracy,
} = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  retry: DATA_ACTIVITY_RETRY,
});

/**
 * The seed's automatic_retraining sensor, made durable: new or changed objects (or, by policy, drift or
 * decay) start a training run; the data state is committed, by compare-and-set, only after that training
 * succeeded, and only when the data set it trained on is not the champion's.
 */
export async function retrainCheckWorkflow(input: RetrainCheckWorkflowInput): Promise<RetrainCheckResult> {
  if (!patched('retrain-check-v2')) return retrainCheckV1(input);
  let result: RetrainCheckResult;
  try {
    result = await checkData(input);
  } catch (err) {
    if (!isCancellation(err) && patched(MONITORING_PATCH)) {
      await monitorAfterCheck(input, [
        { kind: 'check-failed', checkId: workflowInfo().workflowId, error: failureMessage(err) },
      ]);
    }
    throw err;
  }
  if (patched(MONITORING_PATCH)) result.monitoring = await monitorAfterCheck(input, eventsOf(result));
  return result;
}

async function checkData(input: RetrainCheckWorkflowInput): Promise<RetrainCheckResult> {
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
  const evidence = input.training.evidence ?? DEFAULT_EVIDENCE;

  // A standing challenger is compared again on the labelled rows that arrived after both models were fitted.
  let challenger: ChallengerCheckResult | undefined;
  if (patched('challenger-recheck')) {
    challenger = await recheckChallenger({
      modelName,
      dataUri: input.dataUri,
      filePrefix: input.filePrefix,
      objects: inspection.objects.map(({ key, year, etag, sha256 }) => ({ key, year, etag, sha256 })),
      schema,
      evidence,
      checkId: workflowId,
    });
  }

  const watchesModel = input.policy.retrainOnDrift || input.policy.retrainOnDecay;
  const newest = inspection.objects[inspection.objects.length - 1]?.key;
  const assessKeys = fresh.length > 0 ? fresh : watchesModel && newest ? [newest] : [];
  let drift: DriftSummary | undefined;
  const logDays = input.driftFromPredictionLogDays;
  if (assessKeys.length > 0 || logDays !== undefined) {
    drift = await assessDrift({
      dataUri: input.dataUri,
      keys: assessKeys,
      objects: inspectedObjects(inspection, assessKeys),
      modelName,
      psiThreshold: input.policy.psiThreshold,
      checkId: workflowId,
      schema,
      ...(logDays === undefined ? {} : { predictionLogDays: logDays }),
      ...(challenger === undefined ? {} : { evidence, decayRatio: input.policy.decayRatio }),
    });
  }

  // What the served versions scored on the labelled rows that just arrived.
  let liveAccuracy: LiveAccuracySummary | undefined;
  if (fresh.length > 0 && patched('live-accuracy')) {
    liveAccuracy = await measureLiveAccuracy({
      dataUri: input.dataUri,
      keys: fresh,
      objects: inspectedObjects(inspection, fresh),
      modelName,
      checkId: workflowId,
      schema,
    });
  }

  const verdict = decideRetraining({ diff, drift, decay: drift?.decay, policy: input.policy });
  const reasons = challenger?.comparison
    ? [`challenger v${challenger.challengerVersion}: ${challenger.comparison.reason}`, ...verdict.reasons]
    : verdict.reasons;
  const base = {
    diff,
    drift,
    reasons,
    ...(liveAccuracy ? { liveAccuracy } : {}),
    ...(challenger?.comparison ? { comparison: challenger.comparison } : {}),
    ...(challenger === undefined ? {} : { challenger }),
  };
  if (!verdict.retrain) {
    decide(verdict.decision, base.reasons);
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
      ...base.reasons,
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
  // Stage 2 of its lifecycle (docs/patch-lifecycle.md): the per-check id of older checks is gone.
  deprecatePatch('drift-retrain-once-per-data-state');
  const trainingWorkflowId = dataTriggered
    ? `retrain-${modelName}-${inspection.fingerprint}`
    : `retrain-${modelName}-${inspection.fingerprint}-${verdict.decision}`;
  const seed = dataTriggered
    ? input.training.seed
    : cyrb53(trainingWorkflowId, input.training.seed) % 2 ** 31;
  decide(verdict.decision, base.reasons);

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
        ...base.reasons,
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
    if (!dataTriggered) {
      const registered = found.result.registration?.versions.map((v) => `v${v.version}`).join(', ');
      const reasons = [
        ...base.reasons,
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
      ...base.reasons,
      `training ${trainingWorkflowId} of this data state had already completed; its state is committed now`,
    ];
  }

  const trained: TrainingResult = training;
  const commit = await commit_(input, inspection, trainingWorkflowId, trained.dataset.datasetHash);
  const registered = trained.registration?.champion.comparison;
  // A refit not promoted at registration (all its rows are in the past) is promoted when refitting has paid:
  // the refresh policy's record on rows neither of its models was fitted on (bench:decisions, refresh-record).
  const candidate = trained.registration?.versions[0]?.version;
  const registeredAs = trained.registration?.champion.decision;
  let refreshRecord: RefreshRecordResult | undefined;
  if (
    dataTriggered &&
    candidate !== undefined &&
    (registeredAs === 'kept' || registeredAs === 'deferred') &&
    patched('refresh-record')
  ) {
    refreshRecord = await judgeRefreshRecord({
      modelName,
      dataUri: input.dataUri,
      objects: inspection.objects.map(({ key, year, etag, sha256 }) => ({ key, year, etag, sha256 })),
      schema,
      evidence,
      checkId: workflowId,
      candidateVersion: candidate,
    });
  }
  const finalReasons = [
    ...base.reasons,
    ...(refreshRecord && refreshRecord.outcome !== 'none' ? [refreshRecord.reason] : []),
    ...(commit.note ? [commit.note] : []),
  ];
  const promotedByRecord = refreshRecord?.outcome === 'promoted';
  return {
    ...base,
    ...(registered ? { comparison: registered } : {}),
    ...(refreshRecord ? { refreshRecord } : {}),
    reasons: finalReasons,
    decision: verdict.decision,
    retrained: true,
    trainingWorkflowId,
    training: {
      bestRmse: trained.search?.leaderboard[0]?.metrics.rmse,
      championVersion: promotedByRecord ? candidate : trained.registration?.champion.championVersion,
      championDecision: promotedByRecord
        ? 'promoted-by-refresh-record'
        : trained.registration?.champion.decision,
      datasetHash: trained.dataset.datasetHash,
      versions: trained.registration?.versions.map((v) => v.version),
    },
    stateCommitted: commit.committed,
    commitNote: commit.note,
  };
}

/** The check writes the day's monitoring record and sends its alerts, on every run (new data or not). */
const MONITORING_PATCH = 'retrain-check-monitoring-record';

const { monitorDays } = proxyActivities<Activities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '2 minutes',
  retry: {
    initialInterval: '5 seconds',
    backoffCoefficient: 2,
    maximumAttempts: 4,
    nonRetryableErrorTypes: ['InvalidInput', 'DatasetError'],
  },
});

/** Yesterday in UTC by the workflow's clock: the last whole day of served predictions and labels. */
function defaultMonitorDay(): string {
  return new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
}

function eventsOf(result: RetrainCheckResult): CheckEvent[] {
  const checkId = workflowInfo().workflowId;
  const events: CheckEvent[] = [];
  if (result.decision === 'decay' && result.drift?.decay)
    events.push({ kind: 'decay', ...result.drift.decay });
  const t = result.training;
  if (t?.championDecision === 'promoted' && t.championVersion !== undefined) {
    events.push({ kind: 'promoted', version: t.championVersion, checkId });
  } else if (t?.championDecision === 'deferred') {
    events.push({
      kind: 'deferred',
      version: t.versions?.[0],
      reason: 'too little evidence to promote',
      checkId,
    });
  }
  const c = result.challenger;
  if (c?.outcome === 'promoted' && c.challengerVersion !== undefined) {
    events.push({
      kind: 'promoted',
      version: c.challengerVersion,
      previousVersion: c.championVersion,
      checkId,
    });
  } else if (c?.outcome === 'deferred') {
    const reason = c.comparison?.reason ?? 'too little evidence to promote';
    events.push({ kind: 'deferred', version: c.challengerVersion, reason, checkId });
  }
  return events;
}

/** The inspected objects of `keys`: their readers take the inspection's parsed copies of exactly these versions. */
function inspectedObjects(inspection: DataStateInspection, keys: readonly string[]) {
  return inspection.objects
    .filter((o) => keys.includes(o.key))
    .map(({ key, etag, sha256 }) => ({ key, etag, ...(sha256 === undefined ? {} : { sha256 }) }));
}

/** The innermost message of a failure chain (an activity failure's cause says what went wrong). */
function failureMessage(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(err);
}

/** Monitoring never fails the check: a failure after the activity's retries is reported in the result. */
async function monitorAfterCheck(
  input: RetrainCheckWorkflowInput,
  events: CheckEvent[],
): Promise<NonNullable<RetrainCheckResult['monitoring']>> {
  const day = input.monitorDay ?? defaultMonitorDay();
  try {
    const done = await monitorDays({
      modelName: input.training.modelName,
      dataUri: input.dataUri,
      filePrefix: input.filePrefix,
      schema: input.training.schema,
      days: [day],
      psiThreshold: input.policy.psiThreshold,
      events,
      ...(input.alertWebhookUrl ? { alertWebhookUrl: input.alertWebhookUrl } : {}),
    });
    return {
      day,
      records: done.records.length,
      alerts: done.alerts.filter((a) => a.status === 'sent').length,
      ...(done.skipped ? { skipped: done.skipped } : {}),
    };
  } catch (err) {
    return { day, records: 0, alerts: 0, error: failureMessage(err) };
  }
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
