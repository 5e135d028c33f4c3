import { Context } from '@temporalio/activity';
import type { WorkerMetrics } from '../metrics/worker-metrics';
import type { TrialPool } from '../engines/trial-pool';
import { CHALLENGER_ALIAS, CHAMPION_ALIAS } from '../registry/champion';
import type { ModelRegistry, ModelVersion } from '../registry/model-registry';
import type { BlobStore } from '../storage/blob-store';
import {
  DEFAULT_EVIDENCE,
  type ChampionDecision,
  type ModelComparison,
  type RegisterModelsInput,
  type RegisterModelsResult,
  type TrialResult,
} from '../contracts';
import { artifactKeys } from './artifact-keys';
import { loadValidationRows } from './validation-rows';
import { calibrateOnValidationYear } from './version-intervals';
import { nonRetryable } from './errors';
import { compareContenders, served, type Contender } from './champion-comparison';

export interface RegisterDeps {
  artifacts: BlobStore;
  registry: ModelRegistry;
  pool: TrialPool;
  metrics?: WorkerMetrics;
}

export const CHAMPION = CHAMPION_ALIAS;
export const CHALLENGER = CHALLENGER_ALIAS;

type Entry = Omit<ModelVersion, 'version' | 'createdAt'>;

/**
 * The seed's register_models block: the best trials become versions of a named model. The best one is compared
 * with the champion as selected (before any refit) on the validation rows after the champion's trainedThrough,
 * rows neither model was fitted on, and becomes champion only when it is better there beyond noise; otherwise it
 * becomes the challenger.
 */
export async function registerModelsWith(
  deps: RegisterDeps,
  input: RegisterModelsInput,
): Promise<RegisterModelsResult> {
  if (input.trials.length === 0) throw nonRetryable('InvalidInput', 'no trials to register');
  const sorted = [...input.trials].sort((a, b) => a.metrics.rmse - b.metrics.rmse);
  for (const trial of sorted) {
    if (!trial.modelRef)
      throw nonRetryable('InvalidInput', `${trial.trialId} has no stored model to register`);
  }
  const entries = sorted.map((trial) => entryFor(input, trial));
  const championAlias = await deps.registry.getAlias(input.modelName, CHAMPION);
  let comparison: ModelComparison | undefined;
  if (championAlias) {
    const current = await deps.registry.resolve(input.modelName, championAlias.version);
    comparison = await compareWithChampion(deps, input, current, entries[0]);
    if (input.onlyIfBetterThanChampion && comparison.decision !== 'promoted') {
      return {
        modelName: input.modelName,
        versions: [],
        champion: {
          decision: 'not-registered',
          championVersion: current.version,
          ...previousOf(comparison),
          candidate: { version: 0, rmse: sorted[0].metrics.rmse },
          validationYear: input.dataset.validationYear,
          comparison,
          reason: `nothing registered: best trial ${sorted[0].trialId} — ${comparison.reason}`,
        },
      };
    }
  }
  const createdAt = new Date().toISOString();
  const registered: ModelVersion[] = [];
  for (const [i, entry] of entries.entries()) {
    const trial = sorted[i];
    Context.current().heartbeat({ step: 'registering', trialId: entry.trialId });
    const intervalRef =
      trial.intervalRef ??
      (await calibrateOnValidationYear(deps, {
        datasetHash: input.dataset.datasetHash,
        validationYear: input.dataset.validationYear,
        models: [{ ...trial, modelRef: entry.modelRef }],
        modelLabel: `trial ${trial.trialId}`,
      }));
    registered.push(
      await deps.registry.register({
        createdAt,
        entry: { ...(i === 0 && comparison ? { ...entry, comparison } : entry), intervalRef },
      }),
    );
  }
  // A retry gets back the versions its earlier attempt created, which carry that attempt's time.
  const created = registered.filter((v) => v.createdAt === createdAt).length;
  deps.metrics?.versionsCreated(input.modelName, created);
  const champion = await electChampion(deps, input, registered[0], comparison);
  return {
    modelName: input.modelName,
    versions: registered.map((v) => ({
      version: v.version,
      trialId: v.trialId,
      rmse: v.metrics.rmse,
      ...(v.intervalRef ? { intervalRef: v.intervalRef } : {}),
    })),
    champion,
  };
}

/** What the registry records of one trial (or final model), including what it was fitted on. */
function entryFor(input: RegisterModelsInput, trial: TrialResult): Entry {
  const { dataset } = input;
  const fittedThrough = dataset.fittedThrough ?? `${dataset.validationYear - 1}-12-31 23:59:59`;
  const refittedThrough =
    dataset.validationPeriod && dataset.validationPeriod.to > fittedThrough
      ? dataset.validationPeriod.to
      : `${dataset.validationYear}-12-31 23:59:59`;
  return {
    modelName: input.modelName,
    modelRef: trial.modelRef as string,
    pipelineRef: artifactKeys.datasetPipeline(dataset.datasetHash),
    engine: trial.engine,
    engineVersion: trial.engineVersion,
    rounds: trial.rounds,
    params: trial.params,
    metrics: trial.metrics,
    validationYear: dataset.validationYear,
    datasetHash: dataset.datasetHash,
    sourceObjects: dataset.sourceObjects,
    trainingWorkflowId: input.trainingWorkflowId,
    trialId: trial.trialId,
    ...(input.withRunReport ? { reportRef: artifactKeys.runReport(input.trainingWorkflowId) } : {}),
    pipelineVersion: dataset.pipelineVersion ?? 1,
    ...(dataset.earlyStopping
      ? { earlyStopping: { ...dataset.earlyStopping, rmse: trial.earlyStoppingRmse } }
      : {}),
    ...(trial.modelFormat === undefined ? {} : { modelFormat: trial.modelFormat }),
    ...(trial.refit === undefined ? {} : { refit: trial.refit }),
    ...(trial.members === undefined ? {} : { members: trial.members }),
    ...(input.backtest === undefined ? {} : { backtest: input.backtest }),
    trainedThrough: trial.refit ? refittedThrough : fittedThrough,
    ...(dataset.validationPeriod ? { selection: dataset.validationPeriod } : {}),
    ...(trial.selected ? { selected: { ...trial.selected, trainedThrough: fittedThrough } } : {}),
  };
}

/** The candidate as selected (see Contender), before it has a version number. */
function candidateOf(entry: Entry): Contender {
  const model: ModelVersion = { ...entry, version: 0, createdAt: new Date(0).toISOString() };
  if (!entry.selected) return { version: 0, model, trainedThrough: entry.trainedThrough as string };
  const { modelRef, modelFormat, engine, rounds, trainedThrough } = entry.selected;
  return { version: 0, model: { ...model, modelRef, modelFormat, engine, rounds }, trainedThrough };
}

/**
 * The champion as it serves against the candidate as selected, on the candidate's validation rows after the
 * champion's trainedThrough. Never a recorded RMSE: even on the same data set the two were fitted on other rows.
 */
async function compareWithChampion(
  deps: RegisterDeps,
  input: RegisterModelsInput,
  champion: ModelVersion,
  candidate: Entry,
): Promise<ModelComparison> {
  const evidence = input.evidence ?? DEFAULT_EVIDENCE;
  const period = input.dataset.validationPeriod;
  if (period && served(champion).trainedThrough >= period.to) {
    // The champion was fitted on every validation row: nothing to read or score.
    return compareContenders(deps, served(champion), candidateOf(candidate), [], evidence);
  }
  const rows = await loadValidationRows(deps.artifacts, input.dataset.datasetHash);
  Context.current().heartbeat({ step: 'comparing with champion', champion: champion.version });
  return compareContenders(deps, served(champion), candidateOf(candidate), rows, evidence);
}

function previousOf(c: ModelComparison): Pick<ChampionDecision, 'previousChampion'> {
  return c.champion.rmse === null
    ? {}
    : { previousChampion: { version: c.champion.version, rmse: c.champion.rmse } };
}

async function electChampion(
  deps: RegisterDeps,
  input: RegisterModelsInput,
  candidate: ModelVersion,
  compared: ModelComparison | undefined,
): Promise<ChampionDecision> {
  const validationYear = input.dataset.validationYear;
  const candidateScore = { version: candidate.version, rmse: candidate.metrics.rmse };
  let comparison = compared;
  // Compare-and-set loop: a concurrent registration may move the alias between our read and write.
  for (;;) {
    const alias = await deps.registry.getAlias(input.modelName, CHAMPION);
    const setAt = new Date().toISOString();
    if (!alias) {
      const reason = `no champion yet: version ${candidate.version} (RMSE ${candidate.metrics.rmse.toFixed(2)}) becomes champion`;
      if (
        await deps.registry.setAlias({
          modelName: input.modelName,
          alias: CHAMPION,
          version: candidate.version,
          expectedSeq: undefined,
          reason,
          setAt,
          by: 'training',
          runId: input.trainingWorkflowId,
          action: 'promote',
        })
      ) {
        return {
          decision: 'first-champion',
          championVersion: candidate.version,
          candidate: candidateScore,
          validationYear,
          reason,
        };
      }
      continue;
    }
    if (alias.version === candidate.version) {
      // A retry of this activity already promoted the candidate.
      return {
        decision: 'promoted',
        championVersion: candidate.version,
        candidate: candidateScore,
        validationYear,
        reason: 'already champion',
        ...(comparison
          ? {
              comparison: {
                ...comparison,
                challenger: { ...comparison.challenger, version: candidate.version },
              },
            }
          : {}),
      };
    }
    if (!comparison || comparison.champion.version !== alias.version) {
      const current = await deps.registry.resolve(input.modelName, alias.version);
      comparison = await compareWithChampion(deps, input, current, candidate);
    }
    comparison = { ...comparison, challenger: { ...comparison.challenger, version: candidate.version } };
    if (comparison.decision === 'promoted') {
      if (
        await deps.registry.setAlias({
          modelName: input.modelName,
          alias: CHAMPION,
          version: candidate.version,
          expectedSeq: alias.seq,
          reason: comparison.reason,
          setAt,
          by: 'training',
          runId: input.trainingWorkflowId,
          action: 'promote',
        })
      ) {
        return {
          decision: 'promoted',
          championVersion: candidate.version,
          ...previousOf(comparison),
          candidate: candidateScore,
          validationYear,
          reason: comparison.reason,
          comparison,
        };
      }
      continue;
    }
    await setChallenger(
      deps,
      input.modelName,
      candidate.version,
      comparison.reason,
      input.trainingWorkflowId,
    );
    return {
      decision: comparison.decision,
      championVersion: alias.version,
      ...previousOf(comparison),
      candidate: candidateScore,
      validationYear,
      reason: comparison.reason,
      comparison,
      challengerVersion: candidate.version,
    };
  }
}

/** Points the challenger alias at `version` (a newer candidate replaces the one standing). */
export async function setChallenger(
  deps: Pick<RegisterDeps, 'registry'>,
  modelName: string,
  version: number,
  reason: string,
  runId: string,
): Promise<void> {
  for (;;) {
    const current = await deps.registry.getAlias(modelName, CHALLENGER);
    if (current?.version === version) return;
    if (
      await deps.registry.setAlias({
        modelName,
        alias: CHALLENGER,
        version,
        expectedSeq: current?.seq,
        reason,
        setAt: new Date().toISOString(),
        by: 'training',
        runId,
        action: 'promote',
      })
    )
      return;
  }
}
