import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { expect } from 'chai';
import { artifactKeys } from '../../src/activities/artifact-keys';
import { startTraining } from '../../src/cli/training-run';
import type { AppConfig } from '../../src/config';
import { averagePredictions, parseEnsembleModel } from '../../src/engines/ensemble-model';
import { transformWithPipeline, validateAnyFeaturePipeline } from '../../src/features/feature-pipeline';
import { resolveEngine } from '../../src/engines/select-engine';
import type { TrafficRow } from '../../src/contracts/domain';
import { ModelRegistry, type ModelVersion } from '../../src/registry/model-registry';
import { openBlobStore } from '../../src/storage/from-uri';
import type { DenseMatrix, TrainingResult } from '../../src/contracts';
import { devServerEnv } from '../support/temporal';
import { startMlflowForTests, type TestMlflow } from '../support/mlflow-server';
import { startTestWorkers, tempDir, testConfig, trainingInput } from '../support/pipeline-harness';
import type { TestWorkflowEnvironment } from '@temporalio/testing';

const CLIENT_JS = path.resolve(__dirname, '../../src/client.js');

interface Tag {
  key: string;
  value: string;
}
interface Run {
  info: { run_id: string; status: string; artifact_uri: string; run_name: string };
  data: { tags?: Tag[]; params?: Tag[]; metrics?: { key: string; value: number; step: number }[] };
}
interface ModelVersionJson {
  version: string;
  source: string;
  run_id: string;
  tags?: Tag[];
  aliases?: string[];
}

/** MLflow's REST API, called directly (not through the project's client) so that the checks are independent. */
function rest(mlflow: TestMlflow) {
  const call = async <T>(method: string, endpoint: string, body?: object): Promise<T> => {
    const url =
      method === 'GET'
        ? `${mlflow.uri}/api/2.0/mlflow/${endpoint}?${new URLSearchParams(body as Record<string, string>)}`
        : `${mlflow.uri}/api/2.0/mlflow/${endpoint}`;
    const response = await fetch(url, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(method === 'GET' ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${endpoint}: ${response.status} ${text}`);
    return JSON.parse(text) as T;
  };
  return {
    experimentId: async (name: string) =>
      (
        await call<{ experiment: { experiment_id: string } }>('GET', 'experiments/get-by-name', {
          experiment_name: name,
        })
      ).experiment.experiment_id,
    searchRuns: async (experimentId: string, filter: string) =>
      (
        await call<{ runs?: Run[] }>('POST', 'runs/search', {
          experiment_ids: [experimentId],
          filter,
          max_results: 1000,
        })
      ).runs ?? [],
    metricHistory: async (runId: string, key: string) =>
      (
        await call<{ metrics?: { value: number; step: number }[] }>('GET', 'metrics/get-history', {
          run_id: runId,
          metric_key: key,
        })
      ).metrics ?? [],
    artifacts: async (runId: string, dir?: string) =>
      (
        (
          await call<{ files?: { path: string }[] }>('GET', 'artifacts/list', {
            run_id: runId,
            ...(dir ? { path: dir } : {}),
          })
        ).files ?? []
      ).map((f) => f.path),
    versions: async (name: string) =>
      (
        (
          await call<{ model_versions?: ModelVersionJson[] }>('GET', 'model-versions/search', {
            filter: `name = '${name}'`,
          })
        ).model_versions ?? []
      ).sort((a, b) => Number(a.version) - Number(b.version)),
    byAlias: async (name: string, alias: string) =>
      (await call<{ model_version: ModelVersionJson }>('GET', 'registered-models/alias', { name, alias }))
        .model_version,
    download: async (run: Run, file: string) => {
      const root = run.info.artifact_uri.replace(/^mlflow-artifacts:\//, '');
      const response = await fetch(`${mlflow.uri}/api/2.0/mlflow-artifacts/artifacts/${root}/${file}`);
      if (!response.ok) throw new Error(`download ${file}: ${response.status}`);
      return Buffer.from(await response.arrayBuffer());
    },
  };
}

const tag = (entity: { tags?: Tag[] } | Run, key: string) =>
  ('info' in entity ? entity.data.tags : entity.tags)?.find((t) => t.key === key)?.value;

function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLIENT_JS, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** The validation rows of the run's data set, through the feature pipeline as MLflow has it: the matrix a Python user gets. */
async function featureMatrix(
  config: AppConfig,
  api: ReturnType<typeof rest>,
  parent: Run,
  datasetHash: string,
): Promise<DenseMatrix> {
  const artifacts = openBlobStore(config.artifactsUri, config.s3);
  const rows = JSON.parse(
    (await artifacts.get(artifactKeys.datasetValidationRows(datasetHash))).toString('utf8'),
  ) as TrafficRow[];
  const pipeline = validateAnyFeaturePipeline(
    JSON.parse((await api.download(parent, 'feature-pipeline/pipeline.json')).toString('utf8')),
  );
  return transformWithPipeline(pipeline, rows).matrix;
}

/** Our engine's prediction of a stored version (single or ensemble) on a matrix. */
async function enginePredictions(
  config: AppConfig,
  version: ModelVersion,
  x: DenseMatrix,
): Promise<Float32Array> {
  const artifacts = openBlobStore(config.artifactsUri, config.s3);
  const engine = await resolveEngine('native');
  const predict = async (ref: string, rounds: number) => {
    const model = engine.load(await artifacts.get(ref), rounds);
    try {
      return model.predict(x);
    } finally {
      model.free();
    }
  };
  if (version.modelFormat !== 'ensemble') return predict(version.modelRef, version.rounds);
  const ensemble = parseEnsembleModel(JSON.parse((await artifacts.get(version.modelRef)).toString('utf8')));
  const each: Float32Array[] = [];
  for (const m of ensemble.members) each.push(await predict(m.modelRef, m.rounds));
  return averagePredictions(each);
}

/** Runs Python in the MLflow venv on the matrix; it prints the predictions as a JSON array. */
function pythonPredictions(mlflow: TestMlflow, x: DenseMatrix, script: string): number[] {
  const dir = tempDir('mlflow-python');
  const matrixFile = path.join(dir, 'matrix.json');
  fs.writeFileSync(matrixFile, JSON.stringify({ rows: x.rows, cols: x.cols, data: Array.from(x.data) }));
  const program = [
    'import json, sys',
    'import numpy as np',
    'import xgboost as xgb',
    'import mlflow',
    `m = json.load(open(${JSON.stringify(matrixFile)}))`,
    "X = np.array(m['data'], dtype=np.float32).reshape(m['rows'], m['cols'])",
    script,
    'print(json.dumps([float(v) for v in pred]))',
  ].join('\n');
  const result = spawnSync(mlflow.python, ['-c', program], {
    encoding: 'utf8',
    env: { ...process.env, MLFLOW_TRACKING_URI: mlflow.uri },
    maxBuffer: 64 * 2 ** 20,
  });
  if (result.status !== 0)
    throw new Error(`python failed: ${result.stderr.split('\n').slice(-8).join('\n')}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as number[];
}

function expectClose(actual: number[], expected: Float32Array, tolerance = 1e-3): void {
  expect(actual).to.have.length(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  expect(worst, 'largest absolute difference').to.be.at.most(tolerance);
}

describe('MLflow mirror against a real MLflow server', function () {
  this.timeout(900_000);
  let env: TestWorkflowEnvironment;
  let mlflow: TestMlflow;

  before(async () => {
    [env, mlflow] = await Promise.all([devServerEnv(), startMlflowForTests()]);
  });
  after(async () => {
    await env?.teardown();
    await mlflow?.dispose();
  });

  async function train(
    config: AppConfig,
    overrides: Parameters<typeof trainingInput>[1],
  ): Promise<TrainingResult> {
    const workers = await startTestWorkers(env, config);
    try {
      const client = env.client as unknown as Client;
      const handle = await startTraining(client, config, trainingInput(config, overrides));
      return await handle.result();
    } finally {
      workers.shutdown();
      await workers.done;
    }
  }

  function cliEnv(config: AppConfig): NodeJS.ProcessEnv {
    return {
      TEMPORAL_ADDRESS: env.address,
      ARTIFACTS_URI: config.artifactsUri,
      MLFLOW_TRACKING_URI: mlflow.uri,
      TEMPORAL_TLS: 'false',
    };
  }

  it('mirrors a training: experiment, parent and nested trial runs, metrics, artifacts, model versions; the champion alias follows promote and rollback; Python loads the model and predicts the same', async () => {
    const config = testConfig({});
    const modelName = 'mlflow-single';
    const result = await train(config, {
      modelName,
      trials: 6,
      top: 2,
      ensemble: 1,
      refit: false,
      mlflowTrackingUri: mlflow.uri,
    });
    expect(result.mlflow?.status, JSON.stringify(result.mlflow)).to.equal('mirrored');
    const api = rest(mlflow);

    const experimentId = await api.experimentId(modelName);
    const parents = await api.searchRuns(
      experimentId,
      `tags.\`traffic_ml.workflow_id\` = '${result.workflowId}' and tags.\`traffic_ml.kind\` = 'training'`,
    );
    expect(parents).to.have.length(1);
    const parent = parents[0];
    expect(parent.info.status).to.equal('FINISHED');
    const params = Object.fromEntries((parent.data.params ?? []).map((p) => [p.key, p.value]));
    expect(params).to.include({
      max_evals: '6',
      n_best_models: '2',
      years: '2012,2013,2014,2015,2016',
      validation_year: '2016',
      seed: '42',
    });
    const metrics = Object.fromEntries((parent.data.metrics ?? []).map((m) => [m.key, m.value]));
    const best = result.search!.leaderboard[0];
    expect(metrics.best_validation_rmse).to.be.closeTo(best.metrics.rmse, 1e-6);
    expect(metrics.best_validation_r2).to.be.closeTo(best.metrics.r2, 1e-9);
    expect(metrics.best_early_stopping_rmse).to.be.closeTo(best.earlyStoppingRmse!, 1e-6);
    expect(tag(parent, 'dataset_hash')).to.equal(result.dataset.datasetHash);
    expect(tag(parent, 'temporal.web_ui')).to.contain(encodeURIComponent(result.workflowId));
    expect(tag(parent, 'data_files')).to.contain('Metro_Interstate_Traffic_Volume_2016.csv');

    // One nested run per trial, with its hyperparameters, metrics and status.
    const children = await api.searchRuns(
      experimentId,
      `tags.\`mlflow.parentRunId\` = '${parent.info.run_id}'`,
    );
    const counts = result.search!.counts!;
    expect(children).to.have.length(counts.succeeded + counts.pruned + counts.failed);
    for (const child of children) {
      expect(child.info.status).to.equal(tag(child, 'trial_status') === 'failed' ? 'FAILED' : 'FINISHED');
      expect(tag(child, 'pruned')).to.equal(String(tag(child, 'trial_status') === 'pruned'));
      expect((child.data.params ?? []).map((p) => p.key)).to.include.members([
        'max_depth',
        'learning_rate',
        'n_estimators',
      ]);
    }
    const bestChild = children.find((c) => tag(c, 'traffic_ml.trial_id') === best.trialId)!;
    const childMetrics = Object.fromEntries((bestChild.data.metrics ?? []).map((m) => [m.key, m.value]));
    expect(childMetrics.validation_rmse).to.be.closeTo(best.metrics.rmse, 1e-6);
    // ASHA ran: the rung scores are a metric history stepped by the rung's rounds.
    expect(best.rungScores, 'the best trial reached ASHA rungs').to.not.equal(undefined);
    const rungs = await api.metricHistory(bestChild.info.run_id, 'rung_validation_rmse');
    expect(rungs.map((m) => m.step)).to.deep.equal(best.rungRounds);
    expect(rungs.map((m) => m.value)).to.deep.equal(best.rungScores);

    // Artifacts: report, pipeline, each registered version's model with its MLmodel.
    const top = await api.artifacts(parent.info.run_id);
    expect(top).to.include.members(['report', 'feature-pipeline', 'model-v1', 'model-v2']);
    expect(await api.artifacts(parent.info.run_id, 'model-v1')).to.have.members([
      'model-v1/model.json',
      'model-v1/MLmodel',
    ]);
    expect((await api.download(parent, 'report/run-report.html')).toString('utf8')).to.contain('<html');

    // Registry: one MLflow version per project version, tagged, sourced from the run's artifact.
    const versions = await api.versions(modelName);
    expect(versions.map((v) => tag(v, 'traffic_ml.version'))).to.deep.equal(['1', '2']);
    expect(versions[0].source).to.equal(`${parent.info.artifact_uri}/model-v1`);
    expect(versions[0].run_id).to.equal(parent.info.run_id);
    expect(tag(versions[0], 'dataset_hash')).to.equal(result.dataset.datasetHash);
    const champion = result.registration!.champion.championVersion;
    expect(tag(await api.byAlias(modelName, 'champion'), 'traffic_ml.version')).to.equal(String(champion));

    // Promote the other version, then roll back, with the real CLI: MLflow's alias follows each move.
    const other = champion === 1 ? 2 : 1;
    const promoted = await runCli(
      ['models', 'promote', String(other), '--model-name', modelName],
      cliEnv(config),
    );
    expect(promoted.code, promoted.stderr).to.equal(0);
    expect(tag(await api.byAlias(modelName, 'champion'), 'traffic_ml.version')).to.equal(String(other));
    const rolledBack = await runCli(['models', 'rollback', '--model-name', modelName], cliEnv(config));
    expect(rolledBack.code, rolledBack.stderr).to.equal(0);
    expect(tag(await api.byAlias(modelName, 'champion'), 'traffic_ml.version')).to.equal(String(champion));

    // Python: mlflow.xgboost.load_model of the champion alias predicts what our engine predicts.
    const registry = new ModelRegistry(openBlobStore(config.artifactsUri, config.s3));
    const version = await registry.resolve(modelName, 'champion');
    const x = await featureMatrix(config, api, parent, result.dataset.datasetHash);
    const ours = await enginePredictions(config, version, x);
    const viaMlflow = pythonPredictions(
      mlflow,
      x,
      `booster = mlflow.xgboost.load_model("models:/${modelName}@champion")\npred = booster.predict(xgb.DMatrix(X))`,
    );
    expectClose(viaMlflow, ours);
  });

  it('mirrors an ensemble: every member as XGBoost JSON; averaging them in Python predicts what the engine predicts', async () => {
    const config = testConfig({});
    const modelName = 'mlflow-ensemble';
    const result = await train(config, {
      modelName,
      trials: 4,
      top: 1,
      ensemble: 3,
      refit: false,
      mlflowTrackingUri: mlflow.uri,
    });
    expect(result.mlflow?.status, JSON.stringify(result.mlflow)).to.equal('mirrored');
    const api = rest(mlflow);
    const experimentId = await api.experimentId(modelName);
    const [parent] = await api.searchRuns(
      experimentId,
      `tags.\`traffic_ml.workflow_id\` = '${result.workflowId}' and tags.\`traffic_ml.kind\` = 'training'`,
    );
    expect(await api.artifacts(parent.info.run_id, 'model-v1')).to.have.members([
      'model-v1/ensemble.json',
      'model-v1/member-0.json',
      'model-v1/member-1.json',
      'model-v1/member-2.json',
    ]);
    const registry = new ModelRegistry(openBlobStore(config.artifactsUri, config.s3));
    const version = await registry.resolve(modelName, 'champion');
    const x = await featureMatrix(config, api, parent, result.dataset.datasetHash);
    const ours = await enginePredictions(config, version, x);
    // The three lines of docs/mlflow.md.
    const viaPython = pythonPredictions(
      mlflow,
      x,
      [
        `d = mlflow.artifacts.download_artifacts(mlflow.MlflowClient().get_model_version_by_alias("${modelName}", "champion").source)`,
        `boosters = [xgb.Booster(model_file=f"{d}/{m['file']}") for m in json.load(open(f"{d}/ensemble.json"))["members"]]`,
        'pred = sum(b.predict(xgb.DMatrix(X)) for b in boosters) / len(boosters)',
      ].join('\n'),
    );
    expectClose(viaPython, ours);
  });

  it('MLflow down mid-training: the training succeeds and says so; `mlflow sync` completes the mirror, twice without a duplicate', async () => {
    const config = testConfig({});
    const modelName = 'mlflow-outage';
    const workers = await startTestWorkers(env, config);
    let result: TrainingResult;
    try {
      const client = env.client as unknown as Client;
      const handle = await startTraining(
        client,
        config,
        trainingInput(config, {
          modelName,
          trials: 4,
          top: 2,
          ensemble: 1,
          refit: false,
          mlflowTrackingUri: mlflow.uri,
        }),
      );
      await mlflow.stop();
      result = await handle.result();
    } finally {
      workers.shutdown();
      await workers.done;
      await mlflow.start();
    }
    expect(result.registration!.versions).to.have.length(2);
    expect(result.mlflow?.status).to.equal('failed');
    expect((result.mlflow as { error: string }).error).to.match(/unreachable|ECONNREFUSED/);

    const first = await runCli(['mlflow', 'sync', '--model-name', modelName, '--json'], cliEnv(config));
    expect(first.code, first.stderr).to.equal(0);
    const created = (JSON.parse(first.stdout) as { created: Record<string, number> }).created;
    expect(created).to.include({ experiments: 1, runs: 1, trialRuns: 4, modelVersions: 2 });
    const second = await runCli(['mlflow', 'sync', '--model-name', modelName, '--json'], cliEnv(config));
    expect(second.code, second.stderr).to.equal(0);
    expect((JSON.parse(second.stdout) as { created: Record<string, number> }).created).to.deep.equal({
      experiments: 0,
      runs: 0,
      trialRuns: 0,
      modelVersions: 0,
      duplicatesRemoved: 0,
    });

    const api = rest(mlflow);
    const experimentId = await api.experimentId(modelName);
    const parents = await api.searchRuns(experimentId, `tags.\`traffic_ml.kind\` = 'training'`);
    expect(parents).to.have.length(1);
    expect(parents[0].info.status).to.equal('FINISHED');
    expect(
      await api.searchRuns(experimentId, `tags.\`mlflow.parentRunId\` = '${parents[0].info.run_id}'`),
    ).to.have.length(4);
    expect((await api.versions(modelName)).map((v) => tag(v, 'traffic_ml.version'))).to.deep.equal([
      '1',
      '2',
    ]);
    expect(tag(await api.byAlias(modelName, 'champion'), 'traffic_ml.version')).to.equal(
      String(result.registration!.champion.championVersion),
    );
  });
});
