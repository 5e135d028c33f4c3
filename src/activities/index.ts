import type { TrialPool } from '../ml/trial-pool';
import type { ModelRegistry } from '../registry/model-registry';
import { StoreLocationError, type BlobStore } from '../storage/blob-store';
import type {
  AssessDriftInput,
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
import { nonRetryable } from './errors';
import { predictWith } from './predict';
import { prepareDatasetWith } from './prepare';
import { registerModelsWith } from './register';
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
    prepareDataset: failFastOnBadStore((input: PrepareDatasetInput) => prepareDatasetWith(all, input)),
    runTrial: failFastOnBadStore((input: RunTrialInput) => runTrialWith(all, input)),
    registerModels: failFastOnBadStore((input: RegisterModelsInput) => registerModelsWith(all, input)),
    predict: failFastOnBadStore((input: PredictInput) => predictWith(all, input)),
    inspectDataState: failFastOnBadStore((input: InspectDataStateInput) => inspectDataStateWith(all, input)),
    assessDrift: failFastOnBadStore((input: AssessDriftInput) => assessDriftWith(all, input)),
    commitDataState: failFastOnBadStore((input: CommitDataStateInput) => commitDataStateWith(all, input)),
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

export type Activities = ReturnType<typeof createActivities>;
