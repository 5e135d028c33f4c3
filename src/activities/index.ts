import type { TrialPool } from '../ml/trial-pool';
import type { ModelRegistry } from '../registry/model-registry';
import type { BlobStore } from '../storage/blob-store';
import type {
  AssessDriftInput,
  BuildRunReportInput,
  CommitDataStateInput,
  InspectDataStateInput,
  PredictInput,
  PrepareDatasetInput,
  RegisterModelsInput,
  RunTrialInput,
} from '../workflows/types';
import { commitDataStateWith, inspectDataStateWith } from './data-state';
import { assessDriftWith } from './drift';
import { DatasetCache } from './dataset-cache';
import { predictWith } from './predict';
import { prepareDatasetWith } from './prepare';
import { registerModelsWith } from './register';
import { runTrialWith } from './trial';
import { buildRunReportWith } from './run-report';

export interface ActivityDeps {
  artifacts: BlobStore;
  registry: ModelRegistry;
  openDataStore(uri: string): BlobStore;
  pool: TrialPool;
  datasets?: DatasetCache;
}

/** Builds the activities bound to this worker's storage, registry and training-thread pool. */
export function createActivities(deps: ActivityDeps) {
  const datasets = deps.datasets ?? new DatasetCache(deps.artifacts);
  const all = { ...deps, datasets };
  return {
    prepareDataset: (input: PrepareDatasetInput) => prepareDatasetWith(all, input),
    runTrial: (input: RunTrialInput) => runTrialWith(all, input),
    registerModels: (input: RegisterModelsInput) => registerModelsWith(all, input),
    predict: (input: PredictInput) => predictWith(all, input),
    inspectDataState: (input: InspectDataStateInput) => inspectDataStateWith(all, input),
    assessDrift: (input: AssessDriftInput) => assessDriftWith(all, input),
    commitDataState: (input: CommitDataStateInput) => commitDataStateWith(all, input),
    buildRunReport: (input: BuildRunReportInput) => buildRunReportWith(all, input),
  };
}

export type Activities = ReturnType<typeof createActivities>;
