import type { WorkerMetrics } from '../metrics/worker-metrics';
import type { TrialPool } from '../ml/trial-pool';
import type { ModelRegistry } from '../registry/model-registry';
import type { BlobStore } from '../storage/blob-store';
import type {
  AppendTrialTableInput,
  AssessDriftInput,
  BuildRunReportInput,
  CommitDataStateInput,
  InspectDataStateInput,
  PredictInput,
  FinalizeModelInput,
  PrepareDatasetInput,
  RegisterModelsInput,
  RunTrialInput,
  ScoreYearInput,
} from '../workflows/types';
import type {
  BatchPredictInput,
  JoinPredictionOutputInput,
  PredictChunkInput,
} from '../workflows/batch-predict-types';
import { commitDataStateWith, inspectDataStateWith } from './data-state';
import { joinPredictionOutputWith, predictChunkWith, splitPredictionInputWith } from './batch-predict';
import { assessDriftWith } from './drift';
import { DatasetCache } from './dataset-cache';
import { observeTrial } from './observe-trial';
import { finalizeModelWith } from './finalize-model';
import { predictWith } from './predict';
import { prepareDatasetWith } from './prepare';
import { registerModelsWith } from './register';
import { scoreYearWith } from './score-year';
import { runTrialWith } from './trial';
import { appendTrialTableWith } from './trial-table';
import { buildRunReportWith } from './run-report';

export interface ActivityDeps {
  artifacts: BlobStore;
  registry: ModelRegistry;
  openDataStore(uri: string): BlobStore;
  pool: TrialPool;
  datasets?: DatasetCache;
  /** Counts trials, data-set cache lookups and registry versions when the worker serves metrics. */
  metrics?: WorkerMetrics;
}

/** Builds the activities bound to this worker's storage, registry and training-thread pool. */
export function createActivities(deps: ActivityDeps) {
  const datasets = deps.datasets ?? new DatasetCache(deps.artifacts, { metrics: deps.metrics });
  const all = { ...deps, datasets };
  return {
    prepareDataset: (input: PrepareDatasetInput) => prepareDatasetWith(all, input),
    runTrial: (input: RunTrialInput) => observeTrial(deps.metrics, () => runTrialWith(all, input)),
    appendTrialTable: (input: AppendTrialTableInput) => appendTrialTableWith(all, input),
    registerModels: (input: RegisterModelsInput) => registerModelsWith(all, input),
    finalizeModel: (input: FinalizeModelInput) => finalizeModelWith(all, input),
    scoreYear: (input: ScoreYearInput) => scoreYearWith(all, input),
    predict: (input: PredictInput) => predictWith(all, input),
    inspectDataState: (input: InspectDataStateInput) => inspectDataStateWith(all, input),
    assessDrift: (input: AssessDriftInput) => assessDriftWith(all, input),
    commitDataState: (input: CommitDataStateInput) => commitDataStateWith(all, input),
    splitPredictionInput: (input: BatchPredictInput) => splitPredictionInputWith(all, input),
    predictChunk: (input: PredictChunkInput) => predictChunkWith(all, input),
    joinPredictionOutput: (input: JoinPredictionOutputInput) => joinPredictionOutputWith(all, input),
    buildRunReport: (input: BuildRunReportInput) => buildRunReportWith(all, input),
  };
}

export type Activities = ReturnType<typeof createActivities>;
