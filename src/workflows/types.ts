import type { EngineChoice, EngineName, RegressionMetrics, XGBoostParams } from '../ml/types';

/** Which column names the data set uses (the seed's COLUMNS, DATE_TIME and TARGET variables). */
export interface SchemaInput {
  featureColumns: string[];
  dateTimeColumn: string;
  targetColumn: string;
}

/** `retrain-drift` / `retrain-decay`: a training a check started on drift or decay alone, with unchanged files. */
export type RunTrigger = 'ad-hoc' | 'schedule' | 'retrain' | 'retrain-drift' | 'retrain-decay';

export interface SourceObject {
  key: string;
  etag: string;
  size: number;
  /** SHA-256 of the bytes actually read (the ETag may belong to a later version of the object). */
  sha256?: string;
}

export interface PrepareDatasetInput {
  dataUri: string;
  /** The seed's FILE_PATH_PREFIX: objects are `{filePrefix}_{year}.csv`. */
  filePrefix: string;
  years: number[];
  validationYear: number;
  schema: SchemaInput;
  /** Largest share of malformed rows per file (0.01 = 1 %) before the preparation fails; default 1 %. */
  maxBadRowShare?: number;
}

export interface BadRowReport {
  file: string;
  count: number;
  /** The first few problems, e.g. `line 17: temp "abc" is not a number`. */
  examples: string[];
}

export interface PreparedDatasetSummary {
  /** Key of the prepared set in the artifact store. */
  datasetRef: string;
  datasetHash: string;
  reused: boolean;
  trainRows: number;
  validationRows: number;
  duplicatesRemoved: number;
  badRows: BadRowReport[];
  featureNames: string[];
  sourceObjects: SourceObject[];
  validationYear: number;
}

export interface RunTrialInput {
  datasetRef: string;
  datasetHash: string;
  trialId: string;
  params: XGBoostParams;
  engine: EngineChoice;
  earlyStoppingRounds: number;
}

export interface TrialResult {
  trialId: string;
  params: XGBoostParams;
  metrics: RegressionMetrics;
  trainMs: number;
  modelRef: string;
  rounds: number;
  engine: EngineName;
  engineVersion: string;
}

export interface SearchInput {
  datasetRef: string;
  datasetHash: string;
  /** The seed's MAX_EVALS. */
  trials: number;
  /** The seed's N_BEST_MODELS. */
  top: number;
  /** At most this many trials are pending at once (a sliding window). */
  parallelism: number;
  seed: number;
  engine: EngineChoice;
  earlyStoppingRounds: number;
  /** Skip sampling: train once with these parameters. */
  params?: XGBoostParams;
}

export interface TrialFailure {
  trialId: string;
  params: XGBoostParams;
  error: string;
}

export interface SearchProgress {
  total: number;
  done: number;
  failed: number;
  running: number;
  best?: { trialId: string; rmse: number };
}

export interface SearchResult {
  /** Every successful trial, best (lowest validation RMSE) first. */
  leaderboard: TrialResult[];
  failures: TrialFailure[];
  /** The `top` best trials. */
  best: TrialResult[];
}

export interface RegisterModelsInput {
  modelName: string;
  trials: TrialResult[];
  dataset: Pick<PreparedDatasetSummary, 'datasetRef' | 'datasetHash' | 'validationYear' | 'sourceObjects'>;
  trainingWorkflowId: string;
  /** Register nothing unless the best trial beats the champion (drift- or decay-triggered trainings). */
  onlyIfBetterThanChampion?: boolean;
}

export interface RegisteredVersion {
  version: number;
  trialId: string;
  rmse: number;
}

export interface ChampionDecision {
  /** `not-registered`: onlyIfBetterThanChampion and the champion was not beaten. */
  decision: 'promoted' | 'kept' | 'first-champion' | 'not-registered';
  championVersion: number;
  previousChampion?: { version: number; rmse: number };
  candidate: { version: number; rmse: number };
  validationYear: number;
  reason: string;
}

export interface RegisterModelsResult {
  modelName: string;
  versions: RegisteredVersion[];
  champion: ChampionDecision;
}

export interface TrainingInput {
  modelName: string;
  dataUri: string;
  filePrefix: string;
  years: number[];
  validationYear: number;
  schema: SchemaInput;
  trials: number;
  top: number;
  parallelism: number;
  seed: number;
  engine: EngineChoice;
  earlyStoppingRounds: number;
  params?: XGBoostParams;
  /** The seed's IS_RUN_FINE_TUNING: false skips the search (only data preparation runs unless params are given). */
  runFineTuning: boolean;
  /** The seed's IS_REGISTER_MODELS. */
  registerModels: boolean;
  trigger: RunTrigger;
  /** See PrepareDatasetInput.maxBadRowShare. */
  maxBadRowShare?: number;
  /** See RegisterModelsInput.onlyIfBetterThanChampion. */
  registerOnlyIfBetter?: boolean;
}

export type TrainingStage = 'preparing' | 'searching' | 'registering' | 'done';

export interface TrainingResult {
  workflowId: string;
  modelName: string;
  dataset: PreparedDatasetSummary;
  search?: { leaderboard: TrialResult[]; failures: TrialFailure[] };
  registration?: RegisterModelsResult;
}

export interface PredictInput {
  modelName: string;
  /** A version number or an alias such as `champion`. */
  version: string;
  /** Prediction rows with the seed's fields; numbers may be strings. */
  rows: Record<string, unknown>[];
}

export interface PredictResult {
  modelName: string;
  version: number;
  engine: EngineName;
  predictions: number[];
}

/** When a retraining check retrains besides new or changed files. */
export interface RetrainPolicy {
  /** Retrain when some feature's PSI exceeds `psiThreshold` even if no file is new. */
  retrainOnDrift: boolean;
  /** Retrain when the champion's RMSE on labelled data exceeds its validation RMSE by `decayRatio` (e.g. 1.25). */
  retrainOnDecay: boolean;
  psiThreshold: number;
  decayRatio: number;
}

export interface RetrainCheckInput {
  dataUri: string;
  filePrefix: string;
  /** Training settings for a retrain; years and validation year are derived from the data present. */
  training: Omit<TrainingInput, 'dataUri' | 'filePrefix' | 'years' | 'validationYear' | 'trigger'>;
  policy: RetrainPolicy;
  /** Explicit validation year; default: the newest year present, complete or not (see chooseTrainingYears). */
  validationYear?: number;
  trigger: RunTrigger;
  /** A training the check starts fails after this long (e.g. no worker on the trial queue); default 6 hours. */
  trainingTimeoutMinutes?: number;
}

export interface DataObject extends SourceObject {
  year: number;
}

export interface InspectDataStateInput {
  dataUri: string;
  filePrefix: string;
  /** With the model name the state is keyed by (model, data URI, prefix); without it by data URI alone (old checks). */
  modelName?: string;
  schema?: SchemaInput;
}

/** A data file the check could not parse (e.g. its header lacks a column). */
export interface UnreadableObject {
  key: string;
  error: string;
}

export interface DataStateInspection {
  objects: DataObject[];
  /** Years whose file has rows in December. */
  completeYears: number[];
  diff: { added: string[]; changed: string[]; removed: string[]; unchanged: string[] };
  /** Fingerprint of the current objects (keys, ETags, sizes). */
  fingerprint: string;
  previousCommittedAt?: string;
  /** The committed state's sequence number as read (0: none); the compare in the commit's compare-and-set. */
  stateSeq?: number;
  /** Prepared-set hash of the last committed training. */
  previousDatasetHash?: string;
  unreadable?: UnreadableObject[];
}

export interface DescribeTrainingDataInput {
  dataUri: string;
  filePrefix: string;
  modelName: string;
  years: number[];
  validationYear: number;
  schema: SchemaInput;
  /** The objects as inspected, with the SHA-256 of their bytes. */
  objects: DataObject[];
}

export interface TrainingDataDescription {
  /** The hash prepareDataset will give the set, when the files are still what the check read. */
  datasetHash: string;
  champion?: { version: number; datasetHash: string };
}

export interface FindTrainingInput {
  workflowId: string;
}

export interface TrainingLookup {
  status: 'running' | 'completed' | 'failed' | 'not-found';
  result?: TrainingResult;
}

export interface AssessDriftInput {
  dataUri: string;
  keys: string[];
  modelName: string;
  psiThreshold: number;
  checkId: string;
  /** The data's column names; default the seed's. */
  schema?: SchemaInput;
}

export interface DriftSummary {
  reportRef: string;
  championVersion: number;
  rows: number;
  maxPsi: number;
  drifted: string[];
  smallSample: boolean;
  /** Files that could not be parsed (the training started on them will fail and say why). */
  unreadable: string[];
  psi: Record<string, number>;
  /** Present when the new rows have labels. */
  decay?: { rmse: number; validationRmse: number; ratio: number };
}

export interface CommitDataStateInput {
  dataUri: string;
  objects: DataObject[];
  trainingWorkflowId: string;
  /** With modelName and filePrefix: keyed state, committed by compare-and-set against expectedSeq. */
  modelName?: string;
  filePrefix?: string;
  expectedSeq?: number;
  datasetHash?: string;
}

export interface CommitDataStateResult {
  stateRef: string;
  /** False when another check committed first (the state moved past expectedSeq); nothing was written. */
  committed?: boolean;
  seq?: number;
}

export interface RetrainCheckResult {
  decision:
    | 'new-data'
    | 'changed-data'
    | 'drift'
    | 'decay'
    | 'no-new-data'
    | 'already-training'
    | 'unchanged-training-data';
  retrained: boolean;
  reasons: string[];
  diff: DataStateInspection['diff'];
  drift?: DriftSummary;
  trainingWorkflowId?: string;
  training?: {
    bestRmse?: number;
    championVersion?: number;
    championDecision?: string;
    datasetHash?: string;
    versions?: number[];
  };
  stateCommitted: boolean;
  /** Why the state was not committed although a training ran or was found (e.g. `--register false`). */
  commitNote?: string;
}
