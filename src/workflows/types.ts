import type { FeatureSet } from '../ml/feature-pipeline';
import type { EarlyStoppingSlice } from '../ml/prepared-dataset';
import type { EngineChoice, EngineName, RegressionMetrics, XGBoostParams } from '../ml/types';

/** Which column names the data set uses (the seed's COLUMNS, DATE_TIME and TARGET variables). */
export interface SchemaInput {
  featureColumns: string[];
  dateTimeColumn: string;
  targetColumn: string;
}

export type RunTrigger = 'ad-hoc' | 'schedule' | 'retrain';

export interface SourceObject {
  key: string;
  etag: string;
  size: number;
}

export interface PrepareDatasetInput {
  dataUri: string;
  /** The seed's FILE_PATH_PREFIX: objects are `{filePrefix}_{year}.csv`. */
  filePrefix: string;
  years: number[];
  validationYear: number;
  schema: SchemaInput;
  /** Feature pipeline; absent (runs started before v2 existed): the default, v2. */
  features?: FeatureSet;
  /** Hold out the early-stopping slice (default true); false when nothing stops early (seed parity). */
  earlyStoppingSlice?: boolean;
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
  featureSet?: FeatureSet;
  pipelineVersion?: number;
  /** The slice of the training years early stopping watched (absent for sets prepared before it existed). */
  earlyStopping?: EarlyStoppingSlice;
  /** Impossible values replaced by missing, per raw column. */
  cleanedValues?: Record<string, number>;
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
  /** On the validation year. */
  metrics: RegressionMetrics;
  /** On the early-stopping slice of the training years (absent for prepared sets without one). */
  earlyStoppingRmse?: number;
  trainMs: number;
  modelRef: string;
  rounds: number;
  engine: EngineName;
  engineVersion: string;
  /** Set on final models built after the search (see FinalizeModelInput); absent: a single trial's model. */
  modelFormat?: 'single' | 'ensemble';
  refit?: { rounds: number; rows: number };
  members?: string[];
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

/** Builds the model to register from the selected trials (see src/activities/finalize-model.ts). */
export interface FinalizeModelInput {
  datasetRef: string;
  datasetHash: string;
  /** Best first: one trial, or the top k to average as an ensemble. */
  trials: TrialResult[];
  /** Refit each on the training + validation years with its selected rounds. */
  refit: boolean;
  engine: EngineChoice;
}

export interface RegisterModelsInput {
  modelName: string;
  trials: TrialResult[];
  dataset: Pick<
    PreparedDatasetSummary,
    'datasetRef' | 'datasetHash' | 'validationYear' | 'sourceObjects' | 'pipelineVersion' | 'earlyStopping'
  >;
  trainingWorkflowId: string;
  /** Where the source files live: lets a champion with another feature pipeline be re-scored from raw rows. */
  dataUri?: string;
  backtest?: BacktestSummary;
}

export interface RegisteredVersion {
  version: number;
  trialId: string;
  rmse: number;
}

export interface ChampionDecision {
  decision: 'promoted' | 'kept' | 'first-champion';
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
  /** Feature pipeline (default v2). */
  features?: FeatureSet;
  /** Refit the selected model on train + validation years before registering (default false). */
  refit?: boolean;
  /** Register the average of the top k trials as one model (default 1: the best trial alone). */
  ensemble?: number;
  /** A backtest of these training settings, recorded with the registered versions. */
  backtest?: BacktestSummary;
}

export type BacktestSettings = Pick<
  TrainingInput,
  'features' | 'refit' | 'ensemble' | 'trials' | 'seed' | 'params' | 'earlyStoppingRounds' | 'schema'
>;

/** What a registry record keeps of a backtest (`client backtest`) of its training settings. */
export interface BacktestSummary {
  workflowId: string;
  meanRmse: number;
  rmseByYear: Record<string, number>;
}

export type TrainingStage = 'preparing' | 'searching' | 'finalizing' | 'registering' | 'done';

export interface TrainingResult {
  workflowId: string;
  modelName: string;
  dataset: PreparedDatasetSummary;
  search?: { leaderboard: TrialResult[]; failures: TrialFailure[] };
  /** The refitted or ensemble model registered instead of the search's best trials. */
  finalModel?: TrialResult;
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
  /** Explicit validation year; default: the newest complete year present. */
  validationYear?: number;
  trigger: RunTrigger;
}

export interface DataObject extends SourceObject {
  year: number;
}

export interface InspectDataStateInput {
  dataUri: string;
  filePrefix: string;
}

export interface DataStateInspection {
  objects: DataObject[];
  /** Years whose file has rows in December. */
  completeYears: number[];
  diff: { added: string[]; changed: string[]; removed: string[]; unchanged: string[] };
  /** Fingerprint of the current objects (keys, ETags, sizes). */
  fingerprint: string;
  previousCommittedAt?: string;
}

export interface AssessDriftInput {
  dataUri: string;
  keys: string[];
  modelName: string;
  psiThreshold: number;
  checkId: string;
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
}

export interface RetrainCheckResult {
  decision: 'new-data' | 'changed-data' | 'drift' | 'decay' | 'no-new-data' | 'already-training';
  retrained: boolean;
  reasons: string[];
  diff: DataStateInspection['diff'];
  drift?: DriftSummary;
  trainingWorkflowId?: string;
  training?: { bestRmse?: number; championVersion?: number; championDecision?: string };
  stateCommitted: boolean;
}

export interface ScoreYearInput {
  dataUri: string;
  filePrefix: string;
  year: number;
  modelName: string;
  /** A version number or an alias such as `champion`. */
  version: number | string;
  schema: SchemaInput;
}

export interface ScoreYearResult {
  year: number;
  modelName: string;
  version: number;
  rows: number;
  metrics: RegressionMetrics;
}

/** Rolling-origin backtest: for each origin year, train on the years before it as `train` would, score on it. */
export interface BacktestInput {
  /** Training settings shared by every origin; years, validation year and model name are set per origin. */
  training: Omit<TrainingInput, 'years' | 'validationYear' | 'modelName' | 'registerModels' | 'trigger'>;
  /** First data year every origin trains from. */
  firstYear: number;
  /** Each origin Y trains on firstYear … Y-2, validates (selection, champion) on Y-1, and is scored on Y. */
  origins: number[];
  /** Models are registered as `<prefix>-<origin>`, never under the production model's name. */
  modelNamePrefix: string;
}

export interface BacktestOrigin {
  year: number;
  trainYears: number[];
  validationYear: number;
  modelName: string;
  version: number;
  validationRmse: number;
  earlyStoppingRmse?: number;
  rows: number;
  test: RegressionMetrics;
}

export interface BacktestResult {
  modelNamePrefix: string;
  /** The training settings that decide model quality, to match a later `train --backtest` against. */
  settings: BacktestSettings;
  origins: BacktestOrigin[];
  /** Means over the origins of RMSE, MAE and R². */
  mean: RegressionMetrics;
}
