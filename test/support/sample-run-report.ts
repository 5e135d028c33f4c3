/**
 * A whole training run without a Temporal server, for the report's screenshot script, browser test and
 * timing script: the real activities (prepare, trials in the training-thread pool, register, report) run one
 * after another in Temporal's mock activity environment, against file stores.
 */
import { performance } from 'node:perf_hooks';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities';
import { collectRunReport } from '../../src/activities/run-report';
import { DEFAULT_SCHEMA } from '../../src/data/dataset-schema';
import { createRng, sampleParams } from '../../src/search/search-space';
import { createTrialPool, type TrialPool } from '../../src/engines/trial-pool';
import { ModelRegistry } from '../../src/registry/model-registry';
import { renderRunReport } from '../../src/report/render-run-report';
import { openBlobStore } from '../../src/storage/from-uri';
import type {
  BuildRunReportInput,
  FinalizeModelInput,
  IntervalMethod,
  TrainingInput,
  TrainingResult,
  TrialFailure,
  TrialResult,
} from '../../src/contracts';

export interface SampleRunOptions {
  dataUri: string;
  artifactsUri: string;
  years: number[];
  validationYear: number;
  trials: number;
  seed?: number;
  runId?: string;
  /** Shown as the drift that triggered the run (a stored retraining-check report). */
  driftReportRef?: string;
}

export interface SampleRunReport {
  runId: string;
  reportRef: string;
  html: string;
  /** SHAP values of the validation set (of its SHAP sample), in ms. */
  shapMs?: number;
  /** Validation rows the SHAP values are of (see src/evaluation/shap-sample.ts). */
  shapRows?: number;
  /** Collecting the report's data (reading, scoring, SHAP) and rendering it, in ms. */
  buildMs: number;
  validationRows: number;
  /** The run as the training workflow would pass it to buildRunReport. */
  reportInput: BuildRunReportInput;
}

export async function runSampleTraining(options: SampleRunOptions): Promise<SampleRunReport> {
  const artifacts = openBlobStore(options.artifactsUri, {});
  const pool = createTrialPool();
  const activities = createActivities({
    artifacts,
    registry: new ModelRegistry(artifacts),
    openDataStore: (uri) => openBlobStore(uri, {}),
    pool,
  });
  const env = new MockActivityEnvironment();
  const run = <I, O>(activity: (input: I) => Promise<O>, input: I): Promise<O> =>
    env.run(activity, input) as Promise<O>;
  const runId = options.runId ?? `sample-run-${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}Z`;
  const started = new Date();
  const training: TrainingInput = {
    modelName: 'traffic-volume-predictor',
    dataUri: options.dataUri,
    filePrefix: 'Metro_Interstate_Traffic_Volume',
    years: options.years,
    validationYear: options.validationYear,
    schema: DEFAULT_SCHEMA,
    trials: options.trials,
    top: 2,
    parallelism: 2,
    seed: options.seed ?? 42,
    engine: 'native',
    earlyStoppingRounds: 30,
    runFineTuning: true,
    registerModels: true,
    trigger: 'ad-hoc',
    driftReportRef: options.driftReportRef,
  };
  try {
    const dataset = await run(activities.prepareDataset, training);
    const rng = createRng(training.seed);
    const leaderboard: TrialResult[] = [];
    const failures: TrialFailure[] = [];
    const planned = Array.from({ length: options.trials }, (_, i) => ({
      trialId: `trial-${String(i).padStart(3, '0')}`,
      params: sampleParams(rng),
    }));
    await Promise.all(
      planned.map(async ({ trialId, params }) => {
        try {
          leaderboard.push(
            await run(activities.runTrial, {
              datasetRef: dataset.datasetRef,
              datasetHash: dataset.datasetHash,
              trialId,
              params,
              engine: training.engine,
              earlyStoppingRounds: training.earlyStoppingRounds,
            }),
          );
        } catch (err) {
          failures.push({ trialId, params, error: (err as Error).message });
        }
      }),
    );
    leaderboard.sort((a, b) => a.metrics.rmse - b.metrics.rmse);
    const result: TrainingResult = { workflowId: runId, modelName: training.modelName, dataset };
    result.search = { leaderboard, failures };
    if (leaderboard.length > 0) {
      result.registration = await run(activities.registerModels, {
        modelName: training.modelName,
        trials: leaderboard.slice(0, training.top),
        dataset,
        trainingWorkflowId: runId,
        withRunReport: true,
      });
    }
    const buildStarted = performance.now();
    const reportInput: BuildRunReportInput = { runId, training, result, startedAt: started.toISOString() };
    const data = await collectRunReport(
      { artifacts, openDataStore: (uri) => openBlobStore(uri, {}), pool },
      { ...reportInput, namespace: 'default', now: new Date() },
    );
    const html = await renderRunReport(data);
    const buildMs = performance.now() - buildStarted;
    const reportRef = `reports/${runId}.html`;
    await artifacts.put(reportRef, html);
    return {
      runId,
      reportRef,
      html,
      shapMs: data.validation?.shapMs,
      shapRows: data.validation?.shapSample?.rows,
      buildMs,
      validationRows: data.validation?.times.length ?? 0,
      reportInput,
    };
  } finally {
    await pool.close();
  }
}

/**
 * The sample run's top `members` trials refitted into one ensemble, as finalizeModel does after a search (in the
 * mock activity environment, on the run's own artifacts).
 */
export async function refitSampleEnsemble(
  sample: SampleRunReport,
  options: { artifactsUri: string; pool: TrialPool; members: number; intervalMethod?: IntervalMethod },
): Promise<TrialResult & { modelRef: string }> {
  const artifacts = openBlobStore(options.artifactsUri, {});
  const activities = createActivities({
    artifacts,
    registry: new ModelRegistry(artifacts),
    openDataStore: (uri) => openBlobStore(uri, {}),
    pool: options.pool,
  });
  const { result } = sample.reportInput;
  const input: FinalizeModelInput = {
    datasetRef: result.dataset.datasetRef,
    datasetHash: result.dataset.datasetHash,
    trials: (result.search?.leaderboard ?? []).slice(0, options.members),
    refit: true,
    engine: 'native',
    ...(options.intervalMethod === undefined ? {} : { intervalMethod: options.intervalMethod }),
  };
  return (await new MockActivityEnvironment().run(activities.finalizeModel, input)) as TrialResult & {
    modelRef: string;
  };
}
