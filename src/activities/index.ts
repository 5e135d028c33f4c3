import os from 'node:os';
import type { WorkerMetrics } from '../metrics/worker-metrics';
import type { TrialPool } from '../engines/trial-pool';
import type { ChartRenderer } from '../report/render-svg';
import type { ModelRegistry } from '../registry/model-registry';
import { StoreLocationError, type BlobStore } from '../storage/blob-store';
import type {
  Activities,
  AppendTrialTableInput,
  AssessDriftInput,
  BuildRunReportInput,
  CommitDataStateInput,
  DescribeTrainingDataInput,
  FindTrainingInput,
  InspectDataStateInput,
  MeasureLiveAccuracyInput,
  MirrorToMlflowInput,
  PredictInput,
  FinalizeModelInput,
  PrepareDatasetInput,
  OneYearAheadMemberInput,
  RefitMemberInput,
  RecheckChallengerInput,
  RefreshRecordInput,
  RegisterModelsInput,
  RunTrialBatchInput,
  RunTrialInput,
  ScoreYearInput,
} from '../contracts';
import type { MonitorDaysInput } from '../contracts/monitoring';
import type {
  BatchPredictInput,
  JoinPredictionOutputInput,
  PredictChunkInput,
} from '../contracts/batch-prediction';
import { commitDataStateWith, inspectDataStateWith } from './data-state';
import { joinPredictionOutputWith, predictChunkWith, splitPredictionInputWith } from './batch-predict';
import { assessDriftWith } from './drift';
import { monitorDaysWith, monitorSettingsFromEnv, type MonitorSettings } from './monitor';
import { measureLiveAccuracyWith } from './live-accuracy';
import { DatasetCache } from './dataset-cache';
import { observeTrial } from './observe-trial';
import { finalizeModelWith } from './finalize-model';
import { refitMemberWith } from './refit-member';
import { oneYearAheadMemberWith } from './one-year-ahead-member';
import { nonRetryable } from './errors';
import { predictWith } from './predict';
import { prepareDatasetWith } from './prepare';
import { registerModelsWith } from './register';
import { recheckChallengerWith } from './recheck-challenger';
import { judgeRefreshRecordWith } from './refresh-record';
import { scoreYearWith } from './score-year';
import { findTrainingWith } from './find-training';
import { describeTrainingDataWith } from './training-data';
import { runTrialAs, runTrialWith } from './trial';
import { runTrialBatchWith } from './trial-batch';
import { appendTrialTableWith } from './trial-table';
import { buildRunReportWith } from './run-report';
import { mirrorToMlflowWith } from './mlflow-mirror';

export interface ActivityDeps {
  artifacts: BlobStore;
  registry: ModelRegistry;
  openDataStore(uri: string): BlobStore;
  pool: TrialPool;
  /** Threads for the light scoring work (predict, champion re-scoring, drift), apart from the trials' threads
   * so that long trials never starve it; default: the trial pool. */
  scoringPool?: TrialPool;
  datasets?: DatasetCache;
  /** Counts trials, data-set cache lookups and registry versions when the worker serves metrics. */
  metrics?: WorkerMetrics;
  /** Where the run report's charts render; default: on the calling thread. */
  renderChart?: ChartRenderer;
  /** Monitoring database and alert webhook; default: MONITORING_DATABASE_URL and ALERT_WEBHOOK_URL. */
  monitoring?: MonitorSettings;
}

/** Builds the activities bound to this worker's storage, registry and training-thread pool. */
export function createActivities(deps: ActivityDeps): Activities {
  const datasets = deps.datasets ?? new DatasetCache(deps.artifacts, { metrics: deps.metrics });
  const all = { ...deps, datasets };
  const light = { ...all, pool: deps.scoringPool ?? deps.pool };
  return {
    prepareDataset: failFastOnBadStore((input: PrepareDatasetInput) => prepareDatasetWith(all, input)),
    runTrial: failFastOnBadStore((input: RunTrialInput) =>
      observeTrial(deps.metrics, () => runTrialWith(all, input)),
    ),
    runTrialBatch: failFastOnBadStore((input: RunTrialBatchInput) =>
      runTrialBatchWith(
        (trial, attempt) => observeTrial(deps.metrics, () => runTrialAs(all, trial, attempt)),
        input,
        // The trial worker has one activity slot per training thread (src/runtime/workers.ts).
        { id: `${process.pid}@${os.hostname()}`, slots: deps.pool.threads },
      ),
    ),
    appendTrialTable: failFastOnBadStore((input: AppendTrialTableInput) => appendTrialTableWith(all, input)),
    registerModels: failFastOnBadStore((input: RegisterModelsInput) => registerModelsWith(light, input)),
    refitMember: failFastOnBadStore((input: RefitMemberInput) => refitMemberWith(all, input)),
    oneYearAheadMember: failFastOnBadStore((input: OneYearAheadMemberInput) =>
      oneYearAheadMemberWith(all, input),
    ),
    finalizeModel: failFastOnBadStore((input: FinalizeModelInput) => finalizeModelWith(all, input)),
    scoreYear: failFastOnBadStore((input: ScoreYearInput) => scoreYearWith(light, input)),
    predict: failFastOnBadStore((input: PredictInput) => predictWith(light, input)),
    inspectDataState: failFastOnBadStore((input: InspectDataStateInput) => inspectDataStateWith(all, input)),
    assessDrift: failFastOnBadStore((input: AssessDriftInput) => assessDriftWith(light, input)),
    measureLiveAccuracy: failFastOnBadStore((input: MeasureLiveAccuracyInput) =>
      measureLiveAccuracyWith(all, input),
    ),
    recheckChallenger: failFastOnBadStore((input: RecheckChallengerInput) =>
      recheckChallengerWith(light, input),
    ),
    judgeRefreshRecord: failFastOnBadStore((input: RefreshRecordInput) =>
      judgeRefreshRecordWith(light, input),
    ),
    commitDataState: failFastOnBadStore((input: CommitDataStateInput) => commitDataStateWith(all, input)),
    splitPredictionInput: failFastOnBadStore((input: BatchPredictInput) =>
      splitPredictionInputWith(all, input),
    ),
    predictChunk: failFastOnBadStore((input: PredictChunkInput) => predictChunkWith(light, input)),
    joinPredictionOutput: failFastOnBadStore((input: JoinPredictionOutputInput) =>
      joinPredictionOutputWith(all, input),
    ),
    buildRunReport: failFastOnBadStore((input: BuildRunReportInput) => buildRunReportWith(all, input)),
    describeTrainingData: failFastOnBadStore((input: DescribeTrainingDataInput) =>
      describeTrainingDataWith(all, input),
    ),
    findTraining: (input: FindTrainingInput) => findTrainingWith(input),
    monitorDays: failFastOnBadStore((input: MonitorDaysInput) =>
      monitorDaysWith({ ...light, monitoring: deps.monitoring ?? monitorSettingsFromEnv() }, input),
    ),
    mirrorToMlflow: failFastOnBadStore((input: MirrorToMlflowInput) => mirrorToMlflowWith(all, input)),
  };
}

/** A store that cannot exist (missing bucket, unsupported URI) fails the activity at once instead of retrying. */
function failFastOnBadStore<I, O>(activity: (input: I) => Promise<O>): (input: I) => Promise<O> {
  return async (input) => {
    try {
      return await activity(input);
    } catch (err) {
      if (err instanceof StoreLocationError) throw nonRetryable('InvalidInput', err.message);
      throw err;
    }
  };
}

export type { Activities };
