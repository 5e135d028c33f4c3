import { Context } from '@temporalio/activity';
import { averagePredictions, type EnsembleMember, type EnsembleModel } from '../engines/ensemble-model';
import { regressionMetrics } from '../evaluation/metrics';
import type { PreparedDataset } from '../features/prepared-dataset';
import type { TrialPool } from '../engines/trial-pool';
import type { BlobStore } from '../storage/blob-store';
import { INTERVAL_METHOD_WHEN_ABSENT, usesOneYearAhead } from '../contracts';
import type { FinalizeModelInput, SelectedModel, TrialResult } from '../contracts';
import {
  NO_ONE_YEAR_AHEAD,
  oneYearAheadOfMembers,
  oneYearAheadResiduals,
  oneYearAheadSplits,
  type OneYearAheadResiduals,
} from './one-year-ahead';
import { calibrateOnValidationYear } from './version-intervals';
import { refitTrial } from './refit-member';
import { storeModel } from './store-model';
import { artifactKeys } from './artifact-keys';
import { loadPredictions, storePredictions } from './stored-predictions';
import type { DatasetCache } from './dataset-cache';
import { nonRetryable } from './errors';
import { predictMatrix } from './score-version';

export interface FinalizeDeps {
  artifacts: BlobStore;
  datasets: DatasetCache;
  pool: TrialPool;
}

/** Trials whose model the search did not store (outside the top N) cannot be refitted from or averaged. */
function storedModelOf(trial: TrialResult): TrialResult & { modelRef: string } {
  if (!trial.modelRef) {
    throw nonRetryable(
      'InvalidInput',
      `${trial.trialId} has no stored model (it was outside the search's top N)`,
    );
  }
  return { ...trial, modelRef: trial.modelRef };
}

/**
 * The model to register after the search: the selected trial(s), each optionally refitted on the training,
 * early-stopping and validation rows with its selected number of rounds, averaged into one ensemble model
 * when more than one is given. Its metrics are the selected (pre-refit) models' on the validation year:
 * a refitted model has seen that year, so its own score there would flatter it.
 */
export async function finalizeModelWith(
  deps: FinalizeDeps,
  input: FinalizeModelInput,
): Promise<TrialResult & { modelRef: string }> {
  const trials = input.trials.map(storedModelOf);
  if (trials.length === 0) throw nonRetryable('InvalidInput', 'no trials to finalize');
  const ctx = Context.current();
  const dataset = await deps.datasets.get(input.datasetHash, input.datasetRef);
  const members: EnsembleMember[] = [];
  let refit: TrialResult['refit'];
  if (input.refitted) {
    // Refitted by refitMember activities on the trial queue, one per trial in the same order.
    if (!input.refit) throw nonRetryable('InvalidInput', 'refitted members for a run without refit');
    for (const m of oneMemberPerTrial('refitted', input.refitted, trials))
      members.push({ engine: m.engine, modelRef: m.modelRef, rounds: m.rounds });
    refit = { rounds: trials[0].rounds, rows: input.refitted[0].rows };
  } else if (input.refit) {
    // Histories from before patch 'refit-members-on-trial-queue': one member after another, here.
    for (const trial of trials) {
      ctx.heartbeat({ step: 'refit', trialId: trial.trialId });
      const member = await refitTrial(deps, input, trial, { signal: ctx.cancellationSignal });
      members.push({ engine: member.engine, modelRef: member.modelRef, rounds: member.rounds });
      // Recorded for the best member, whose parameters and rounds the registry record shows.
      refit ??= { rounds: trial.rounds, rows: member.rows };
    }
  } else {
    for (const trial of trials)
      members.push({ engine: trial.engine, modelRef: trial.modelRef, rounds: trial.rounds });
  }
  const best = trials[0];
  const suffix = input.refit ? '-refit' : '';
  ctx.heartbeat({ step: 'calibrating intervals' });
  const method = input.intervalMethod ?? INTERVAL_METHOD_WHEN_ABSENT;
  const earlier = !usesOneYearAhead(method)
    ? undefined
    : input.oneYearAhead
      ? await storedOneYearAhead(deps, input, trials)
      : // Histories from before patch 'one-year-ahead-on-trial-queue': the trainings run here.
        await oneYearAheadResiduals(deps, input, trials, (year) =>
          ctx.heartbeat({ step: 'calibrating intervals', oneYearAhead: year }),
        );
  // Always the selected trials' own models: a refitted model has seen the validation year. Their mean on the
  // validation year serves the calibration and the ensemble's scores.
  const [validation, earlyStopping] = await Promise.all([
    averaged(deps, trials, dataset.validation),
    trials.length > 1 && dataset.earlyStopping ? averaged(deps, trials, dataset.earlyStopping) : undefined,
  ]);
  const intervalRef = await calibrateOnValidationYear(deps, {
    datasetHash: input.datasetHash,
    validationYear: dataset.meta.validationYear,
    models: trials,
    predictions: validation,
    modelLabel: `${trials.length === 1 ? 'trial' : 'mean of trials'} ${trials.map((t) => t.trialId).join(', ')}${input.refit ? ' before the refit' : ''}`,
    ...(earlier ? { earlier } : {}),
    ...(method === 'worst-year' ? { combineYears: 'worst-year' as const } : {}),
  });
  // A refitted model is judged (run report) by the model as selected, whose predictions these are.
  const validationPredictionsRef = refit
    ? await storePredictions(deps.artifacts, validation, artifactKeys.validationPredictions)
    : undefined;
  if (trials.length === 1) {
    return {
      ...best,
      trialId: `${best.trialId}${suffix}`,
      modelRef: members[0].modelRef,
      rounds: members[0].rounds,
      modelFormat: 'single',
      ...(refit
        ? {
            refit,
            selected: {
              modelRef: best.modelRef,
              modelFormat: 'single',
              engine: best.engine,
              rounds: best.rounds,
              validationPredictionsRef,
            },
          }
        : {}),
      intervalRef,
    };
  }
  ctx.heartbeat({ step: 'ensemble', members: trials.length });
  const ensemble: EnsembleModel = { kind: 'ensemble', members };
  const modelRef = await storeModel(deps.artifacts, Buffer.from(JSON.stringify(ensemble)), 'ensemble');
  // A refitted ensemble is represented, where it has seen the rows, by the ensemble of its members as selected.
  const selected: SelectedModel | undefined = refit
    ? {
        modelRef: await storeModel(
          deps.artifacts,
          Buffer.from(
            JSON.stringify({
              kind: 'ensemble',
              members: trials.map((t) => ({ engine: t.engine, modelRef: t.modelRef, rounds: t.rounds })),
            } satisfies EnsembleModel),
          ),
          'ensemble',
        ),
        modelFormat: 'ensemble',
        engine: best.engine,
        rounds: best.rounds,
        validationPredictionsRef,
      }
    : undefined;
  const earlyStoppingRmse =
    earlyStopping && dataset.earlyStoppingLabels
      ? regressionMetrics(dataset.earlyStoppingLabels, earlyStopping).rmse
      : undefined;
  return {
    trialId: `ensemble-${trials.map((t) => t.trialId).join('+')}${suffix}`,
    params: best.params,
    metrics: regressionMetrics(dataset.validationLabels, validation),
    ...(earlyStoppingRmse === undefined ? {} : { earlyStoppingRmse }),
    trainMs: trials.reduce((sum, t) => sum + t.trainMs, 0),
    modelRef,
    rounds: best.rounds,
    engine: best.engine,
    engineVersion: best.engineVersion,
    modelFormat: 'ensemble',
    members: trials.map((t) => t.trialId),
    ...(refit ? { refit } : {}),
    ...(selected ? { selected } : {}),
    intervalRef,
  };
}

/** `members` (activity results, one per trial in the trials' order), refused when they do not match. */
function oneMemberPerTrial<M extends { trialId: string }>(
  kind: string,
  members: readonly M[],
  trials: readonly TrialResult[],
): readonly M[] {
  if (members.length !== trials.length)
    throw nonRetryable('InvalidInput', `${members.length} ${kind} members for ${trials.length} trials`);
  members.forEach((m, i) => {
    if (m.trialId !== trials[i].trialId)
      throw nonRetryable('InvalidInput', `${kind} member ${i} is ${m.trialId}, not ${trials[i].trialId}`);
  });
  return members;
}

/** The one-year-ahead residuals from the members' oneYearAheadMember results (one per trial, in order). */
async function storedOneYearAhead(
  deps: FinalizeDeps,
  input: FinalizeModelInput,
  trials: readonly TrialResult[],
): Promise<OneYearAheadResiduals> {
  const members = oneMemberPerTrial('one-year-ahead', input.oneYearAhead ?? [], trials);
  const splits = await oneYearAheadSplits(deps, input);
  if (!splits || members.every((m) => m.predictionsRef === undefined)) return NO_ONE_YEAR_AHEAD;
  const predictions = await Promise.all(
    members.map(async (m) => {
      if (m.predictionsRef === undefined)
        throw new Error(`one-year-ahead member ${m.trialId} has no predictions`);
      return loadPredictions(deps.artifacts, m.predictionsRef, m.rows);
    }),
  );
  return oneYearAheadOfMembers(splits, predictions);
}

/** Mean prediction of the trials' own (selected, not refitted) models. */
async function averaged(
  deps: FinalizeDeps,
  trials: (TrialResult & { modelRef: string })[],
  x: PreparedDataset['validation'],
): Promise<Float32Array> {
  // All at once over the pool's threads; averaged in trial order, so the result does not depend on it.
  return averagePredictions(await Promise.all(trials.map((t) => predictMatrix(deps, t, x))));
}
