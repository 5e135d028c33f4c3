import { Context } from '@temporalio/activity';
import type { WorkerMetrics } from '../metrics/worker-metrics';
import { dedupeRows } from '../ml/dedupe';
import { regressionMetrics } from '../ml/metrics';
import { parseTrafficCsv } from '../ml/traffic-csv';
import type { TrialPool } from '../ml/trial-pool';
import type { ModelRegistry, ModelVersion } from '../registry/model-registry';
import type { BlobStore } from '../storage/blob-store';
import type { ChampionDecision, RegisterModelsInput, RegisterModelsResult } from '../workflows/types';
import { artifactKeys } from './artifact-keys';
import type { DatasetCache } from './dataset-cache';
import { nonRetryable } from './errors';
import { predictMatrix, scoreWithVersion } from './score-version';

export interface RegisterDeps {
  openDataStore(uri: string): BlobStore;
  artifacts: BlobStore;
  registry: ModelRegistry;
  datasets: DatasetCache;
  pool: TrialPool;
  metrics?: WorkerMetrics;
}

export const CHAMPION = 'champion';

/**
 * The seed's register_models block: the best trials become versions of a named model, and the
 * champion alias moves only to a version that beats the current champion on the same validation year.
 */
export async function registerModelsWith(
  deps: RegisterDeps,
  input: RegisterModelsInput,
): Promise<RegisterModelsResult> {
  if (input.trials.length === 0) throw nonRetryable('InvalidInput', 'no trials to register');
  const createdAt = new Date().toISOString();
  const registered: ModelVersion[] = [];
  for (const trial of [...input.trials].sort((a, b) => a.metrics.rmse - b.metrics.rmse)) {
    if (!trial.modelRef)
      throw nonRetryable('InvalidInput', `${trial.trialId} has no stored model to register`);
    Context.current().heartbeat({ step: 'registering', trialId: trial.trialId });
    registered.push(
      await deps.registry.register({
        createdAt,
        entry: {
          modelName: input.modelName,
          modelRef: trial.modelRef,
          pipelineRef: artifactKeys.datasetPipeline(input.dataset.datasetHash),
          engine: trial.engine,
          engineVersion: trial.engineVersion,
          rounds: trial.rounds,
          params: trial.params,
          metrics: trial.metrics,
          validationYear: input.dataset.validationYear,
          datasetHash: input.dataset.datasetHash,
          sourceObjects: input.dataset.sourceObjects,
          trainingWorkflowId: input.trainingWorkflowId,
          trialId: trial.trialId,
          ...(input.withRunReport ? { reportRef: artifactKeys.runReport(input.trainingWorkflowId) } : {}),
          pipelineVersion: input.dataset.pipelineVersion ?? 1,
          ...(input.dataset.earlyStopping
            ? { earlyStopping: { ...input.dataset.earlyStopping, rmse: trial.earlyStoppingRmse } }
            : {}),
          ...(trial.modelFormat === undefined ? {} : { modelFormat: trial.modelFormat }),
          ...(trial.refit === undefined ? {} : { refit: trial.refit }),
          ...(trial.members === undefined ? {} : { members: trial.members }),
          ...(input.backtest === undefined ? {} : { backtest: input.backtest }),
        },
      }),
    );
  }
  // A retry gets back the versions its earlier attempt created, which carry that attempt's time.
  const created = registered.filter((v) => v.createdAt === createdAt).length;
  deps.metrics?.versionsCreated(input.modelName, created);
  const champion = await electChampion(deps, input, registered[0]);
  return {
    modelName: input.modelName,
    versions: registered.map((v) => ({ version: v.version, trialId: v.trialId, rmse: v.metrics.rmse })),
    champion,
  };
}

async function electChampion(
  deps: RegisterDeps,
  input: RegisterModelsInput,
  candidate: ModelVersion,
): Promise<ChampionDecision> {
  const validationYear = input.dataset.validationYear;
  const candidateScore = { version: candidate.version, rmse: candidate.metrics.rmse };
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
      };
    }
    const current = await deps.registry.resolve(input.modelName, alias.version);
    const currentRmse = await championRmseOn(deps, input, current);
    const previousChampion = { version: current.version, rmse: currentRmse };
    if (candidate.metrics.rmse >= currentRmse) {
      const reason = `champion v${current.version} kept: its RMSE ${currentRmse.toFixed(2)} on ${validationYear} is not beaten by v${candidate.version} (${candidate.metrics.rmse.toFixed(2)})`;
      return {
        decision: 'kept',
        championVersion: current.version,
        previousChampion,
        candidate: candidateScore,
        validationYear,
        reason,
      };
    }
    const reason = `v${candidate.version} (RMSE ${candidate.metrics.rmse.toFixed(2)}) beats champion v${current.version} (${currentRmse.toFixed(2)}) on ${validationYear}`;
    if (
      await deps.registry.setAlias({
        modelName: input.modelName,
        alias: CHAMPION,
        version: candidate.version,
        expectedSeq: alias.seq,
        reason,
        setAt,
        by: 'training',
        runId: input.trainingWorkflowId,
        action: 'promote',
      })
    ) {
      return {
        decision: 'promoted',
        championVersion: candidate.version,
        previousChampion,
        candidate: candidateScore,
        validationYear,
        reason,
      };
    }
  }
}

/** The champion's validation RMSE on the candidate's validation year: recorded if it matches, else re-scored. */
async function championRmseOn(
  deps: RegisterDeps,
  input: RegisterModelsInput,
  champion: ModelVersion,
): Promise<number> {
  if (champion.validationYear === input.dataset.validationYear) {
    return champion.metrics.rmse;
  }
  const dataset = await deps.datasets.get(input.dataset.datasetHash, input.dataset.datasetRef);
  const championPipeline = JSON.parse((await deps.artifacts.get(champion.pipelineRef)).toString('utf8'));
  if (JSON.stringify(championPipeline.featureNames) !== JSON.stringify(dataset.meta.featureNames)) {
    if (input.dataUri !== undefined) return championRmseFromRawRows(deps, input, input.dataUri, champion);
    throw nonRetryable(
      'RegistryError',
      `champion v${champion.version} uses other features; cannot compare on ${input.dataset.validationYear}`,
    );
  }
  const predictions = await predictMatrix(deps, champion, dataset.validation);
  return regressionMetrics(dataset.validationLabels, predictions).rmse;
}

/**
 * A champion with another feature pipeline (e.g. v1 against a v2 candidate) cannot read the candidate's
 * prepared matrix: it scores the validation year's raw rows, read and de-duplicated as training reads them.
 */
async function championRmseFromRawRows(
  deps: RegisterDeps,
  input: RegisterModelsInput,
  dataUri: string,
  champion: ModelVersion,
): Promise<number> {
  const year = input.dataset.validationYear;
  const source = input.dataset.sourceObjects.find((s) => s.key.endsWith(`_${year}.csv`));
  if (!source)
    throw nonRetryable(
      'RegistryError',
      `no source file of the validation year ${year} to score champion v${champion.version} on`,
    );
  const text = (await deps.openDataStore(dataUri).get(source.key)).toString('utf8');
  const rows = dedupeRows(parseTrafficCsv({ text, file: source.key }).rows);
  const predictions = await scoreWithVersion(deps, champion, rows);
  return regressionMetrics(
    Float64Array.from(rows, (r) => r.traffic_volume as number),
    predictions,
  ).rmse;
}
