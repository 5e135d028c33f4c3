import type { TrialPool } from '../ml/trial-pool';
import type { ModelRegistry } from '../registry/model-registry';
import type { BlobStore } from '../storage/blob-store';
import type {
  AssessDriftInput,
  CommitDataStateInput,
  InspectDataStateInput,
  PredictInput,
  FinalizeModelInput,
  PrepareDatasetInput,
  RegisterModelsInput,
  RunTrialInput,
  ScoreYearInput,
} from '../workflows/types';
import { commitDataStateWith, inspectDataStateWith } from './data-state';
import { assessDriftWith } from './drift';
import { DatasetCache } from './dataset-cache';
import { finalizeModelWith } from './finalize-model';
import { predictWith } from './predict';
import { prepareDatasetWith } from './prepare';
import { registerModelsWith } from './register';
import { scoreYearWith } from './score-year';
import { runTrialWith } from './trial';

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
    finalizeModel: (input: FinalizeModelInput) => finalizeModelWith(all, input),
    scoreYear: (input: ScoreYearInput) => scoreYearWith(all, input),
    predict: (input: PredictInput) => predictWith(all, input),
    inspectDataState: (input: InspectDataStateInput) => inspectDataStateWith(all, input),
    assessDrift: (input: AssessDriftInput) => assessDriftWith(all, input),
    commitDataState: (input: CommitDataStateInput) => commitDataStateWith(all, input),
  };
}

export type Activities = ReturnType<typeof createActivities>;
