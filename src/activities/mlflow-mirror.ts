/**
 * The MLflow mirror: a finished training becomes an MLflow run (experiment = model name) with a nested run
 * per trial, its report, feature pipeline and registered models as artifacts, and every registered version
 * an MLflow model version with the `champion` (and `challenger`) alias as this project's registry has it.
 * This project's registry stays the source of truth; MLflow follows it.
 *
 * Idempotent by tags: the parent run carries `traffic_ml.workflow_id`, a trial run `traffic_ml.trial_id`
 * under its parent, a model version `traffic_ml.version`. Every step first looks for what exists, so a
 * retried activity or any number of `client mlflow sync` runs create nothing twice; duplicates that a
 * concurrent writer could still leave (two creates racing) are deleted, keeping the lowest id.
 */
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { parseEnsembleModel } from '../engines/ensemble-model';
import {
  MlflowApiError,
  MlflowClient,
  escapeFilterValue,
  type MlflowMetric,
  type MlflowModelVersion,
  type MlflowParam,
  type MlflowRun,
  type MlflowTag,
} from '../mlflow/mlflow-client';
import { credentialsFromEnv, MlflowSettingsError } from '../mlflow/mlflow-settings';
import { XGBOOST_MODEL_FILE, xgboostMlmodel } from '../mlflow/mlmodel';
import type { ModelRegistry, ModelVersion } from '../registry/model-registry';
import type { BlobStore } from '../storage/blob-store';
import type {
  MirrorToMlflowInput,
  MirrorToMlflowResult,
  MlflowMirrorCounts,
  TrialTableRow,
} from '../contracts';
import { artifactKeys } from './artifact-keys';
import { nonRetryable } from './errors';
import { webUiRunUrl } from './run-report';
import { readTrialTable } from './trial-table';

export const MIRROR_TAGS = {
  workflowId: 'traffic_ml.workflow_id',
  kind: 'traffic_ml.kind',
  trialId: 'traffic_ml.trial_id',
  version: 'traffic_ml.version',
  parentRunId: 'mlflow.parentRunId',
} as const;

/** The aliases this project keeps that MLflow mirrors. */
export const MIRRORED_ALIASES = ['champion', 'challenger'] as const;

const MAX_TAG_VALUE = 5000;

export interface MlflowMirrorDeps {
  artifacts: BlobStore;
  registry: ModelRegistry;
  mlflow: MlflowClient;
  /** The Temporal namespace, for the Web UI link. */
  namespace: string;
  heartbeat?: (step: string) => void;
}

export function emptyCounts(): MlflowMirrorCounts {
  return { experiments: 0, runs: 0, trialRuns: 0, modelVersions: 0, duplicatesRemoved: 0 };
}

/** The activity: mirrors one finished training. MLflow rejecting a request (4xx) is final; anything else retries. */
export async function mirrorToMlflowWith(
  deps: { artifacts: BlobStore; registry: ModelRegistry },
  input: MirrorToMlflowInput,
): Promise<MirrorToMlflowResult> {
  const ctx = Context.current();
  try {
    const mlflow = new MlflowClient({ trackingUri: input.trackingUri, credentials: credentialsFromEnv() });
    return await mirrorTraining(
      {
        ...deps,
        mlflow,
        namespace: ctx.info.workflowNamespace ?? 'default',
        heartbeat: (step) => ctx.heartbeat({ step }),
      },
      input,
    );
  } catch (err) {
    if (err instanceof MlflowSettingsError) throw nonRetryable('InvalidInput', err.message);
    if (err instanceof MlflowApiError && !err.retryable) throw nonRetryable('MlflowRejected', err.message);
    throw err;
  }
}

/** Mirrors a training's run, trials and artifacts, then its model's versions and aliases. */
export async function mirrorTraining(
  deps: MlflowMirrorDeps,
  input: Omit<MirrorToMlflowInput, 'trackingUri'>,
): Promise<MirrorToMlflowResult> {
  const { mlflow } = deps;
  const heartbeat = deps.heartbeat ?? (() => undefined);
  const created = emptyCounts();
  const { result, training } = input;
  const modelName = result.modelName;

  heartbeat('experiment');
  const experimentExisted = (await mlflow.getExperimentByName(modelName)) !== undefined;
  const experimentId = await mlflow.ensureExperiment(modelName, [
    { key: 'mlflow.note.content', value: `Training runs of "${modelName}", mirrored from traffic-ml.` },
  ]);
  if (!experimentExisted) created.experiments++;

  heartbeat('parent run');
  const startTime = Date.parse(input.startedAt);
  const parentTags: MlflowTag[] = [
    { key: MIRROR_TAGS.workflowId, value: input.workflowId },
    { key: MIRROR_TAGS.kind, value: 'training' },
  ];
  const parent = await ensureRun(deps, created, 'runs', {
    experimentId,
    filter: `tags.\`${MIRROR_TAGS.workflowId}\` = '${escapeFilterValue(input.workflowId)}' and tags.\`${MIRROR_TAGS.kind}\` = 'training'`,
    runName: input.workflowId,
    startTime,
    tags: parentTags,
  });
  const webUi = webUiRunUrl(deps.namespace, input.workflowId);
  const dataset = result.dataset;
  const best = result.search?.leaderboard[0];
  await mlflow.logBatch(parent.info.run_id, {
    tags: [
      ...parentTags,
      { key: 'temporal.workflow_id', value: input.workflowId },
      { key: 'temporal.web_ui', value: webUi },
      { key: 'dataset_hash', value: dataset.datasetHash },
      { key: 'data_files', value: clip(dataset.sourceObjects.map((o) => o.key).join(', ')) },
      { key: 'train_rows', value: String(dataset.trainRows) },
      { key: 'validation_rows', value: String(dataset.validationRows) },
      { key: 'trigger', value: training.trigger },
      { key: 'mlflow.source.name', value: 'traffic-ml' },
      {
        key: 'mlflow.note.content',
        value: `traffic-ml training [${input.workflowId}](${webUi}) of "${modelName}" on ${training.years.join(', ')} (validation year ${training.validationYear}), data set ${dataset.datasetHash}.`,
      },
      ...(result.registration
        ? [{ key: 'champion_version', value: String(result.registration.champion.championVersion) }]
        : []),
    ],
  });
  if (!hasData(parent, 'params')) {
    await mlflow.logBatch(parent.info.run_id, { params: trainingParams(input) });
  }
  if (!hasData(parent, 'metrics')) {
    const metrics: MlflowMetric[] = [];
    const add = (key: string, value: number | undefined) => {
      if (value !== undefined && Number.isFinite(value))
        metrics.push({ key, value, timestamp: startTime, step: 0 });
    };
    add('best_validation_rmse', best?.metrics.rmse);
    add('best_validation_mae', best?.metrics.mae);
    add('best_validation_r2', best?.metrics.r2);
    add('best_early_stopping_rmse', best?.earlyStoppingRmse);
    const counts = result.search?.counts;
    add('trials_succeeded', counts?.succeeded ?? result.search?.leaderboard.length);
    add('trials_pruned', counts?.pruned);
    add('trials_failed', counts?.failed ?? result.search?.failures.length);
    if (metrics.length > 0) await mlflow.logBatch(parent.info.run_id, { metrics });
  }

  heartbeat('trial runs');
  const trials = await trialRowsOf(deps, input);
  const children = await mlflow.searchRuns(
    [experimentId],
    `tags.\`${MIRROR_TAGS.parentRunId}\` = '${parent.info.run_id}'`,
  );
  for (const trial of trials) {
    const existing = children.filter((r) => tagOf(r, MIRROR_TAGS.trialId) === trial.trialId);
    await mirrorTrial(deps, created, {
      experimentId,
      parent,
      trial,
      startTime,
      existing,
      workflowId: input.workflowId,
    });
  }

  heartbeat('artifacts');
  const files = new Set((await mlflow.listArtifacts(parent.info.run_id)).map((f) => f.path));
  if (result.reportRef && !files.has('report')) {
    const report = await deps.artifacts.tryGet(result.reportRef);
    if (report) await mlflow.uploadArtifact(parent, 'report/run-report.html', report);
  }
  if (!files.has('feature-pipeline')) {
    const pipeline = await deps.artifacts.tryGet(artifactKeys.datasetPipeline(dataset.datasetHash));
    if (pipeline) await mlflow.uploadArtifact(parent, 'feature-pipeline/pipeline.json', pipeline);
  }

  const registry = await mirrorModelRegistry(deps, modelName, created);
  if (parent.info.status !== 'FINISHED') {
    await mlflow.updateRun(parent.info.run_id, 'FINISHED', Date.now());
  }
  const mine = new Set(result.registration?.versions.map((v) => v.version) ?? []);
  return {
    experimentId,
    runId: parent.info.run_id,
    trialRuns: trials.length,
    versions: registry.versions.filter((v) => mine.has(v.version)),
    aliases: registry.aliases,
    created,
  };
}

export interface RegistryMirrorResult {
  versions: { version: number; mlflowVersion: string }[];
  /** Versions whose training has no MLflow run (never mirrored): left out until it is. */
  notMirrored: number[];
  aliases: Record<string, string>;
}

/**
 * Every version of the model whose training run is in MLflow becomes an MLflow model version (source: the
 * run's `model-v<N>` artifact); then the aliases are set as this project's registry has them now.
 */
export async function mirrorModelRegistry(
  deps: MlflowMirrorDeps,
  modelName: string,
  created: MlflowMirrorCounts = emptyCounts(),
): Promise<RegistryMirrorResult> {
  const { mlflow } = deps;
  const out: RegistryMirrorResult = { versions: [], notMirrored: [], aliases: {} };
  const versions = await deps.registry.listVersions(modelName);
  const experiment = await mlflow.getExperimentByName(modelName);
  const runs = experiment
    ? await mlflow.searchRuns([experiment.experiment_id], `tags.\`${MIRROR_TAGS.kind}\` = 'training'`)
    : [];
  const runOf = new Map<string, MlflowRun>();
  for (const run of [...runs].sort(byRunId)) {
    const id = tagOf(run, MIRROR_TAGS.workflowId);
    if (id && !runOf.has(id)) runOf.set(id, run);
  }
  const mirrorable = versions.filter((v) => runOf.has(v.trainingWorkflowId));
  out.notMirrored = versions.filter((v) => !runOf.has(v.trainingWorkflowId)).map((v) => v.version);
  if (mirrorable.length === 0 && !(await mlflow.getRegisteredModel(modelName))) return out;

  deps.heartbeat?.('registered model');
  await mlflow.ensureRegisteredModel(
    modelName,
    `Mirrored from the traffic-ml registry, which stays the source of truth: tag ${MIRROR_TAGS.version} is its version number.`,
  );
  let existing = await mlflow.listModelVersions(modelName);
  for (const version of mirrorable) {
    deps.heartbeat?.(`model version ${version.version}`);
    const run = runOf.get(version.trainingWorkflowId)!;
    const artifactPath = await uploadVersionModel(deps, run, version);
    const same = () => existing.filter((mv) => tagOf(mv, MIRROR_TAGS.version) === String(version.version));
    if (same().length === 0) {
      const mv = await mlflow.createModelVersion({
        name: modelName,
        source: `${run.info.artifact_uri}/${artifactPath}`,
        runId: run.info.run_id,
        tags: versionTags(version),
        description: `v${version.version} of ${modelName} in the traffic-ml registry (training ${version.trainingWorkflowId}, ${version.trialId})`,
      });
      created.modelVersions++;
      existing = await mlflow.listModelVersions(modelName);
      if (!existing.some((e) => e.version === mv.version)) existing.push(mv);
    }
    const [keep, ...duplicates] = same().sort((a, b) => Number(a.version) - Number(b.version));
    for (const duplicate of duplicates) {
      await mlflow.deleteModelVersion(modelName, duplicate.version);
      created.duplicatesRemoved++;
    }
    existing = existing.filter((e) => !duplicates.includes(e));
    out.versions.push({ version: version.version, mlflowVersion: keep.version });
  }

  deps.heartbeat?.('aliases');
  const mlflowVersionOf = new Map(out.versions.map((v) => [v.version, v.mlflowVersion]));
  const theirs = (await mlflow.getRegisteredModel(modelName))?.aliases ?? [];
  for (const alias of MIRRORED_ALIASES) {
    const ours = await deps.registry.getAlias(modelName, alias);
    const target = ours ? mlflowVersionOf.get(ours.version) : undefined;
    const current = theirs.find((a) => a.alias === alias);
    if (target !== undefined) {
      if (current?.version !== target) await mlflow.setAlias(modelName, alias, target);
      out.aliases[alias] = target;
    } else if (current) {
      // Ours moved to a version MLflow does not have (yet), or was removed: a stale alias would mislead.
      await mlflow.deleteAlias(modelName, alias);
    }
  }
  return out;
}

async function mirrorTrial(
  deps: MlflowMirrorDeps,
  created: MlflowMirrorCounts,
  input: {
    experimentId: string;
    parent: MlflowRun;
    trial: TrialTableRow;
    startTime: number;
    existing: MlflowRun[];
    workflowId: string;
  },
): Promise<void> {
  const { mlflow } = deps;
  const { trial, parent, startTime } = input;
  let run = [...input.existing].sort(byRunId)[0];
  if (!run) {
    run = await mlflow.createRun({
      experimentId: input.experimentId,
      runName: trial.trialId,
      startTime,
      tags: [
        { key: MIRROR_TAGS.parentRunId, value: parent.info.run_id },
        { key: MIRROR_TAGS.trialId, value: trial.trialId },
        { key: MIRROR_TAGS.workflowId, value: input.workflowId },
        { key: MIRROR_TAGS.kind, value: 'trial' },
      ],
    });
    created.trialRuns++;
    // A concurrent writer may have created the same trial run: keep the lowest id, delete the rest.
    const again = (
      await mlflow.searchRuns(
        [input.experimentId],
        `tags.\`${MIRROR_TAGS.parentRunId}\` = '${parent.info.run_id}' and tags.\`${MIRROR_TAGS.trialId}\` = '${escapeFilterValue(trial.trialId)}'`,
      )
    ).sort(byRunId);
    for (const duplicate of again.slice(1)) {
      await mlflow.deleteRun(duplicate.info.run_id);
      created.duplicatesRemoved++;
    }
    if (again.length > 0 && again[0].info.run_id !== run.info.run_id) run = again[0];
  } else {
    for (const duplicate of [...input.existing].sort(byRunId).slice(1)) {
      await mlflow.deleteRun(duplicate.info.run_id);
      created.duplicatesRemoved++;
    }
  }
  const tags: MlflowTag[] = [
    { key: 'trial_status', value: trial.status },
    { key: 'pruned', value: String(trial.status === 'pruned') },
  ];
  if (trial.error) tags.push({ key: 'error', value: clip(trial.error) });
  await mlflow.logBatch(run.info.run_id, { tags });
  if (!hasData(run, 'params')) {
    const params = Object.entries(trial.params)
      .filter(([, v]) => v !== undefined)
      .map(([key, value]) => ({ key, value: String(value) }));
    await mlflow.logBatch(run.info.run_id, { params });
  }
  if (!hasData(run, 'metrics')) {
    const metrics: MlflowMetric[] = [];
    const add = (key: string, value: number | undefined, step = 0) => {
      if (value !== undefined && Number.isFinite(value))
        metrics.push({ key, value, timestamp: startTime, step });
    };
    add('validation_rmse', trial.metrics?.rmse);
    add('validation_mae', trial.metrics?.mae);
    add('validation_r2', trial.metrics?.r2);
    add('early_stopping_rmse', trial.earlyStoppingRmse);
    add('rounds', trial.rounds);
    add('rounds_trained', trial.roundsTrained);
    add('train_ms', trial.trainMs);
    // ASHA: the best validation RMSE within each rung the trial reached, stepped by the rung's rounds.
    trial.rungScores?.forEach((score, k) => add('rung_validation_rmse', score, trial.rungRounds?.[k] ?? k));
    if (metrics.length > 0) await mlflow.logBatch(run.info.run_id, { metrics });
  }
  const status = trial.status === 'failed' ? 'FAILED' : 'FINISHED';
  if (run.info.status !== status)
    await mlflow.updateRun(run.info.run_id, status, startTime + (trial.trainMs ?? 0));
}

/** Finds the run by its identifying tags or creates it; of racing duplicates the lowest run id is kept. */
async function ensureRun(
  deps: MlflowMirrorDeps,
  created: MlflowMirrorCounts,
  field: 'runs',
  input: { experimentId: string; filter: string; runName: string; startTime: number; tags: MlflowTag[] },
): Promise<MlflowRun> {
  const { mlflow } = deps;
  let found = (await mlflow.searchRuns([input.experimentId], input.filter)).sort(byRunId);
  if (found.length === 0) {
    await mlflow.createRun({
      experimentId: input.experimentId,
      runName: input.runName,
      startTime: input.startTime,
      tags: input.tags,
    });
    created[field]++;
    found = (await mlflow.searchRuns([input.experimentId], input.filter)).sort(byRunId);
  }
  for (const duplicate of found.slice(1)) {
    await mlflow.deleteRun(duplicate.info.run_id);
    created.duplicatesRemoved++;
  }
  return found[0];
}

/**
 * Uploads a version's model to `model-v<N>/` of its training run unless it is there: a single native model as
 * XGBoost JSON plus an MLmodel file (the `xgboost` flavour); an ensemble as one XGBoost JSON per member plus
 * `ensemble.json` (the prediction is the members' mean; no MLflow flavour averages models).
 */
async function uploadVersionModel(
  deps: MlflowMirrorDeps,
  run: MlflowRun,
  version: ModelVersion,
): Promise<string> {
  const { mlflow } = deps;
  const dir = `model-v${version.version}`;
  const present = new Set(
    (await mlflow.listArtifacts(run.info.run_id, dir)).map((f) => f.path.slice(dir.length + 1)),
  );
  const marker = version.modelFormat === 'ensemble' ? 'ensemble.json' : 'MLmodel';
  if (present.has(marker) || present.has('README.txt')) return dir;
  const model = await deps.artifacts.get(version.modelRef);
  if (version.modelFormat === 'ensemble') {
    const ensemble = parseEnsembleModel(JSON.parse(model.toString('utf8')));
    const members = [];
    for (const [i, member] of ensemble.members.entries()) {
      const file = member.engine === 'native' ? `member-${i}.json` : `member-${i}.wasm.json`;
      await mlflow.uploadArtifact(run, `${dir}/${file}`, await deps.artifacts.get(member.modelRef));
      members.push({ file, engine: member.engine, rounds: member.rounds });
    }
    const description = {
      kind: 'ensemble',
      prediction: 'the mean of the members predictions, each on the same feature matrix',
      members,
    };
    await mlflow.uploadArtifact(run, `${dir}/ensemble.json`, JSON.stringify(description, null, 2));
    return dir;
  }
  if (version.engine !== 'native') {
    await mlflow.uploadArtifact(run, `${dir}/model.wasm.json`, model);
    await mlflow.uploadArtifact(
      run,
      `${dir}/README.txt`,
      'Trained by the WebAssembly engine (ml-xgboost): its own format, which Python xgboost cannot load.\n',
    );
    return dir;
  }
  await mlflow.uploadArtifact(run, `${dir}/${XGBOOST_MODEL_FILE}`, model);
  await mlflow.uploadArtifact(
    run,
    `${dir}/MLmodel`,
    xgboostMlmodel({
      artifactPath: dir,
      xgbVersion: version.engineVersion,
      createdAt: version.createdAt,
      modelUuid: createHash('sha256').update(version.modelRef).digest('hex').slice(0, 32),
    }),
  );
  return dir;
}

function versionTags(version: ModelVersion): MlflowTag[] {
  const tags: MlflowTag[] = [
    { key: MIRROR_TAGS.version, value: String(version.version) },
    { key: MIRROR_TAGS.workflowId, value: version.trainingWorkflowId },
    { key: 'dataset_hash', value: version.datasetHash },
    { key: 'trial_id', value: version.trialId },
    { key: 'validation_year', value: String(version.validationYear) },
    { key: 'validation_rmse', value: String(version.metrics.rmse) },
    { key: 'engine', value: `${version.engine} ${version.engineVersion}` },
    { key: 'model_format', value: version.modelFormat ?? 'single' },
  ];
  // Optional on records: the last day of data the version was trained on, where the registry records it.
  const trainedThrough = (version as ModelVersion & { trainedThrough?: unknown }).trainedThrough;
  if (typeof trainedThrough === 'string' || typeof trainedThrough === 'number') {
    tags.push({ key: 'trainedThrough', value: String(trainedThrough) });
  }
  return tags;
}

/** The seed's settings (MAX_EVALS, N_BEST_MODELS, …) and this run's, one param each. */
function trainingParams(input: Omit<MirrorToMlflowInput, 'trackingUri'>): MlflowParam[] {
  const t = input.training;
  const strategy = input.result.search?.strategy ?? t.strategy;
  const values: Record<string, unknown> = {
    model_name: t.modelName,
    data_uri: t.dataUri,
    file_prefix: t.filePrefix,
    columns: t.schema.featureColumns.join(','),
    date_time: t.schema.dateTimeColumn,
    target: t.schema.targetColumn,
    max_evals: t.trials,
    n_best_models: t.top,
    is_run_fine_tuning: t.runFineTuning,
    is_register_models: t.registerModels,
    years: t.years.join(','),
    validation_year: t.validationYear,
    seed: t.seed,
    engine: t.engine,
    early_stopping_rounds: t.earlyStoppingRounds,
    parallelism: t.parallelism,
    sampler: strategy?.sampler,
    pruning: strategy?.pruning,
    reproducible: strategy?.reproducible,
    features: t.features,
    refit: t.refit,
    ensemble: t.ensemble,
    max_bad_row_share: t.maxBadRowShare,
    max_failed_share: t.maxFailedShare,
    infra_retry_window_ms: t.infraRetryWindowMs,
    register_only_if_better: t.registerOnlyIfBetter,
    fixed_params: t.params === undefined ? undefined : JSON.stringify(t.params),
  };
  return Object.entries(values)
    .filter(([, v]) => v !== undefined)
    .map(([key, value]) => ({ key, value: clip(String(value)) }));
}

/** Every trial of the run: the search's trial table, or (older runs) its leaderboard and failures. */
async function trialRowsOf(
  deps: MlflowMirrorDeps,
  input: Omit<MirrorToMlflowInput, 'trackingUri'>,
): Promise<TrialTableRow[]> {
  const search = input.result.search;
  if (!search) return [];
  if (search.trialTableRef) return readTrialTable(deps.artifacts, search.trialTableRef);
  return [
    ...search.leaderboard.map((t, index): TrialTableRow => ({
      index,
      trialId: t.trialId,
      status: t.pruned ? 'pruned' : 'succeeded',
      params: t.params,
      metrics: t.metrics,
      rounds: t.rounds,
      roundsTrained: t.roundsTrained,
      trainMs: t.trainMs,
      ...(t.earlyStoppingRmse === undefined ? {} : { earlyStoppingRmse: t.earlyStoppingRmse }),
      ...(t.rungScores ? { rungScores: t.rungScores } : {}),
      ...(t.rungRounds ? { rungRounds: t.rungRounds } : {}),
    })),
    ...search.failures.map((f, i): TrialTableRow => ({
      index: search.leaderboard.length + i,
      trialId: f.trialId,
      status: 'failed',
      params: f.params,
      error: f.error,
    })),
  ];
}

function tagOf(entity: MlflowRun | MlflowModelVersion, key: string): string | undefined {
  const tags = 'info' in entity ? entity.data.tags : entity.tags;
  return tags?.find((t) => t.key === key)?.value;
}

function hasData(run: MlflowRun, what: 'params' | 'metrics'): boolean {
  return (run.data[what]?.length ?? 0) > 0;
}

function byRunId(a: MlflowRun, b: MlflowRun): number {
  return a.info.run_id < b.info.run_id ? -1 : a.info.run_id > b.info.run_id ? 1 : 0;
}

function clip(value: string): string {
  return value.length <= MAX_TAG_VALUE ? value : `${value.slice(0, MAX_TAG_VALUE - 1)}…`;
}
