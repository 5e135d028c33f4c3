import type { TrialPool } from '../ml/trial-pool';
import type { ModelRegistry } from '../registry/model-registry';
import type { BlobStore } from '../storage/blob-store';
import type {
  AssessDriftInput,
  CommitDataStateInput,
  DescribeTrainingDataInput,
  FindTrainingInput,
  InspectDataStateInput,
  PredictInput,
  PrepareDatasetInput,
  RegisterModelsInput,
  RunTrialInput,
} from '../workflows/types';
import { commitDataStateWith, inspectDataStateWith } from './data-state';
import { assessDriftWith } from './drift';
import { DatasetCache } from './dataset-cache';
import { findTrainingWith } from './find-training';
import { predictWith } from './predict';
import { prepareDatasetWith } from './prepare';
import { registerModelsWith } from './register';
import { describeTrainingDataWith } from './training-data';
import { runTrialWith } from './trial';

export interface ActivityDeps {
  artifacts: BlobStore;
  registry: ModelRegistry;
  openDataStore(uri: string): BlobStore;
  pool: TrialPool;
  /** Threads for the light scoring work (predict, champion re-scoring, drift), apart from the trials' threads
   * so that long trials never starve it; default: the trial pool. */
  scoringPool?: TrialPool;
  datasets?: DatasetCache;
}

/** Builds the activities bound to this worker's storage, registry and training-thread pool. */
export function createActivities(deps: ActivityDeps) {
  const datasets = deps.datasets ?? new DatasetCache(deps.artifacts);
  const all = { ...deps, datasets };
  const light = { ...all, pool: deps.scoringPool ?? deps.pool };
  return {
    prepareDataset: (input: PrepareDatasetInput) => prepareDatasetWith(all, input),
    runTrial: (input: RunTrialInput) => runTrialWith(all, input),
    registerModels: (input: RegisterModelsInput) => registerModelsWith(light, input),
    predict: (input: PredictInput) => predictWith(light, input),
    inspectDataState: (input: InspectDataStateInput) => inspectDataStateWith(all, input),
    assessDrift: (input: AssessDriftInput) => assessDriftWith(light, input),
    commitDataState: (input: CommitDataStateInput) => commitDataStateWith(all, input),
    describeTrainingData: (input: DescribeTrainingDataInput) => describeTrainingDataWith(all, input),
    findTraining: (input: FindTrainingInput) => findTrainingWith(input),
  };
}

export type Activities = ReturnType<typeof createActivities>;
