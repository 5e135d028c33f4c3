import { Context } from '@temporalio/activity';
import type { WorkerMetrics } from '../metrics/worker-metrics';
import { regressionMetrics } from '../ml/metrics';
import type { TrialPool } from '../ml/trial-pool';
import type { TrafficRow } from '../ml/types';
import type { ModelRegistry, ModelVersion } from '../registry/model-registry';
import type { BlobStore } from '../storage/blob-store';
import type { ChampionDecision, RegisterModelsInput, RegisterModelsResult } from '../workflows/types';
import { artifactKeys } from './artifact-keys';
import { calibrateOnValidationYear } from './version-intervals';
import { nonRetryable } from './errors';
import { scoreWithVersion } from './score-version';

export interface RegisterDeps {
  artifacts: BlobStore;
  registry: ModelRegistry;
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
  if (input.onlyIfBetterThanChampion) {
    const unbeaten = await unbeatenChampion(deps, input);
    if (unbeaten) return { modelName: input.modelName, versions: [], champion: unbeaten };
  }
  const createdAt = new Date().toISOString();
  const registered: ModelVersion[] = [];
  for (const trial of [...input.trials].sort((a, b) => a.metrics.rmse - b.metrics.rmse)) {
    if (!trial.modelRef)
      throw nonRetryable('InvalidInput', `${trial.trialId} has no stored model to register`);
    Context.current().heartbeat({ step: 'registering', trialId: trial.trialId });
    const intervalRef =
      trial.intervalRef ??
      (await calibrateOnValidationYear(deps, {
        datasetHash: input.dataset.datasetHash,
        validationYear: input.dataset.validationYear,
        models: [{ ...trial, modelRef: trial.modelRef }],
        modelLabel: `trial ${trial.trialId}`,
      }));
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
          intervalRef,
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
    versions: registered.map((v) => ({
      version: v.version,
      trialId: v.trialId,
      rmse: v.metrics.rmse,
      ...(v.intervalRef ? { intervalRef: v.intervalRef } : {}),
    })),
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

/** For a run that may register only a better model: the champion's decision when no trial beats it. */
async function unbeatenChampion(
  deps: RegisterDeps,
  input: RegisterModelsInput,
): Promise<ChampionDecision | undefined> {
  const alias = await deps.registry.getAlias(input.modelName, CHAMPION);
  if (!alias) return undefined;
  const best = [...input.trials].sort((a, b) => a.metrics.rmse - b.metrics.rmse)[0];
  const current = await deps.registry.resolve(input.modelName, alias.version);
  const currentRmse = await championRmseOn(deps, input, current);
  if (best.metrics.rmse < currentRmse) return undefined;
  const validationYear = input.dataset.validationYear;
  return {
    decision: 'not-registered',
    championVersion: current.version,
    previousChampion: { version: current.version, rmse: currentRmse },
    candidate: { version: 0, rmse: best.metrics.rmse },
    validationYear,
    reason: `nothing registered: best trial ${best.trialId} (RMSE ${best.metrics.rmse.toFixed(2)}) does not beat champion v${current.version} (${currentRmse.toFixed(2)}) on the same ${validationYear} rows`,
  };
}

/**
 * The champion's RMSE on the candidate's validation rows, always re-scored through the champion's own stored
 * pipeline: its recorded RMSE belongs to another validation set whenever a file changed, and its features may
 * differ from the candidate's (another `weather_main` vocabulary, other `--columns`).
 */
async function championRmseOn(
  deps: RegisterDeps,
  input: RegisterModelsInput,
  champion: ModelVersion,
): Promise<number> {
  // Same data set: the champion's recorded score is on these very validation rows, and honest; a refitted
  // champion re-scored here would be scored on rows it was trained on.
  if (champion.datasetHash === input.dataset.datasetHash) return champion.metrics.rmse;
  const key = artifactKeys.datasetValidationRows(input.dataset.datasetHash);
  const rows = JSON.parse((await deps.artifacts.get(key)).toString('utf8')) as TrafficRow[];
  const predictions = await scoreWithVersion(deps, champion, rows);
  return regressionMetrics(
    Float64Array.from(rows, (r) => r.traffic_volume as number),
    predictions,
  ).rmse;
}
