import type { RungCutoffs } from '../ml/asha';
import type { SamplerKind } from '../ml/sampler';
import type { FeatureSet } from '../ml/feature-pipeline';
import type { EarlyStoppingSlice } from '../ml/prepared-dataset';
import type { LiveAccuracy } from '../monitoring/live-accuracy';
import type { ModelComparisonRecord } from '../registry/records';
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
  /** Feature pipeline; absent (runs started before v2 existed): the default, v2. */
  features?: FeatureSet;
  /** Hold out the early-stopping slice (default true); false when nothing stops early (seed parity). */
  earlyStoppingSlice?: boolean;
  /** v2 derived features to leave out (ablation, `--without`); absent or empty: none. */
  omitFeatures?: string[];
  /** Largest share of malformed rows per file (0.01 = 1 %) before the preparation fails; default 1 %. */
  maxBadRowShare?: number;
  /**
   * The files as a retraining check inspected them: each is read only while it still has this ETag, so the
   * set is prepared from exactly the state the check decided on (absent for ad-hoc runs).
   */
  expectedObjects?: ExpectedObject[];
}

/** A data file and the ETag it had when it was inspected. */
export interface ExpectedObject {
  key: string;
  etag: string;
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
  /** Latest date_time of the rows the selected models were fitted on (training rows and early-stopping slice). */
  fittedThrough?: string;
  /** First and last date_time of the validation (selection) period. */
  validationPeriod?: { from: string; to: string; rows: number };
}

export interface RunTrialInput {
  datasetRef: string;
  datasetHash: string;
  trialId: string;
  params: XGBoostParams;
  engine: EngineChoice;
  earlyStoppingRounds: number;
  /** Recency weights: a training row's weight halves every this many years of age (absent: equal weights). */
  recencyHalfLife?: number;
  /** ASHA rung cut-offs fixed when the search started this trial. */
  pruning?: RungCutoffs;
  /** Store the model only when the trial's RMSE is at most this (the N-th best known; see model-bound.ts). */
  storeModelIfRmseAtMost?: number;
}

export interface TrialResult {
  trialId: string;
  params: XGBoostParams;
  /** On the validation year. */
  metrics: RegressionMetrics;
  /** On the early-stopping slice of the training years (absent for prepared sets without one). */
  earlyStoppingRmse?: number;
  trainMs: number;
  /** Absent when the trial could no longer reach the top N, so its model was not stored. */
  modelRef?: string;
  rounds: number;
  engine: EngineName;
  engineVersion: string;
  /** Set on final models built after the search (see FinalizeModelInput); absent: a single trial's model. */
  modelFormat?: 'single' | 'ensemble';
  refit?: { rounds: number; rows: number };
  members?: string[];
  /** Boosting rounds trained (≥ rounds with early stopping). */
  roundsTrained?: number;
  /** Stopped at an ASHA rung: a result (its best score so far), not a failure. */
  pruned?: boolean;
  /** Best validation RMSE within each ASHA rung the trial reached. */
  rungScores?: number[];
  /** The boosting rounds of those rungs (rungRounds[k] belongs to rungScores[k]). */
  rungRounds?: number[];
  /** Prediction-interval calibration of this model (src/activities/calibrate-intervals.ts). */
  intervalRef?: string;
  /** A refitted final model: the model(s) as selected, before the refit (see SelectedModel). */
  selected?: SelectedModel;
}

/**
 * The model as selected, before any refit: the best trial's model or the ensemble of the selected trials' own
 * models. It was fitted only on rows before the validation period, so it stands for the candidate there.
 */
export interface SelectedModel {
  modelRef: string;
  modelFormat: 'single' | 'ensemble';
  engine: EngineName;
  rounds: number;
}

/** How much evidence a champion decision needs (see src/ml/model-comparison.ts). */
export interface EvidenceSettings {
  /** Fewest calendar days of rows neither model was fitted on (default 14). */
  minComparisonDays: number;
  /** Two-sided confidence of the interval of the RMSE difference (default 0.95). */
  promotionConfidence: number;
}

export const DEFAULT_EVIDENCE: EvidenceSettings = { minComparisonDays: 14, promotionConfidence: 0.95 };

/**
 * One champion decision with its work: the rows compared (labelled rows dated after both models' trainedThrough),
 * both RMSEs there and the bootstrap interval of challenger − champion. Null where no rows or too few days.
 * The registry stores it as is, so its type lives there.
 */
export type ModelComparison = ModelComparisonRecord;

export type PruningKind = 'none' | 'asha';

/** How a search proposes and prunes trials; every field has a default (see search-settings.ts). */
export interface SearchStrategy {
  /** Default 'tpe'. */
  sampler?: SamplerKind;
  /** Default 'asha' unless the engine is wasm (no validation curve). */
  pruning?: PruningKind;
  /** Trial i is proposed from trials 0 … i − parallelism only, so workers' speed never changes the result. Default true. */
  reproducible?: boolean;
}

/** Successful, pruned and failed trials of a whole search (over all its continue-as-new runs). */
export interface TrialCounts {
  succeeded: number;
  pruned: number;
  failed: number;
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
  /** See RunTrialInput.recencyHalfLife. */
  recencyHalfLife?: number;
  /** Skip sampling: train once with these parameters. */
  params?: XGBoostParams;
  /** How long a trial retries infrastructure faults (store unreachable, throttled); default 30 min. */
  infraRetryWindowMs?: number;
  /** The search fails when more than this share of its trials failed; default 0.1. */
  maxFailedShare?: number;
  strategy?: SearchStrategy;
}

export interface TrialFailure {
  trialId: string;
  params: XGBoostParams;
  error: string;
}

/** One line of a search's trial table. */
export interface TrialTableRow {
  index: number;
  trialId: string;
  status: 'succeeded' | 'pruned' | 'failed';
  params: XGBoostParams;
  metrics?: RegressionMetrics;
  rounds?: number;
  roundsTrained?: number;
  trainMs?: number;
  modelRef?: string;
  error?: string;
  earlyStoppingRmse?: number;
  rungScores?: number[];
  rungRounds?: number[];
}

export interface AppendTrialTableInput {
  /** The table is the objects below `trials/<searchWorkflowId>/` in the artifact store, one per batch. */
  searchWorkflowId: string;
  rows: TrialTableRow[];
}

export interface AppendTrialTableResult {
  /** The table's prefix (`trials/<search id>/`): one JSON-lines object per batch below it. */
  tableRef: string;
  /** Rows stored by this append. */
  rows: number;
}

export interface SearchProgress {
  total: number;
  done: number;
  failed: number;
  running: number;
  best?: { trialId: string; rmse: number };
}

export interface SearchResult {
  /** The best trials (every one for searches recorded before the trial table), lowest validation RMSE first. */
  leaderboard: TrialResult[];
  /** The first failures (all of them before the trial table); `counts.failed` has the total. */
  failures: TrialFailure[];
  /** The `top` best trials. */
  best: TrialResult[];
  counts?: TrialCounts;
  /** JSON lines, one per finished trial, in the artifact store. */
  trialTableRef?: string;
  strategy?: Required<SearchStrategy>;
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
  /** Refits weight rows by age (see RunTrialInput.recencyHalfLife). */
  recencyHalfLife?: number;
}

export interface RegisterModelsInput {
  modelName: string;
  trials: TrialResult[];
  dataset: Pick<
    PreparedDatasetSummary,
    | 'datasetRef'
    | 'datasetHash'
    | 'validationYear'
    | 'sourceObjects'
    | 'pipelineVersion'
    | 'earlyStopping'
    | 'fittedThrough'
    | 'validationPeriod'
  >;
  trainingWorkflowId: string;
  /** Record the run report's key (`reports/<training workflow id>.html`) in each version. */
  withRunReport?: boolean;
  backtest?: BacktestSummary;
  /** Register nothing unless the best trial beats the champion (drift- or decay-triggered trainings). */
  onlyIfBetterThanChampion?: boolean;
  /** Absent (runs started before it existed): DEFAULT_EVIDENCE. */
  evidence?: EvidenceSettings;
}

export interface RegisteredVersion {
  version: number;
  trialId: string;
  rmse: number;
  /** The version's prediction-interval calibration. */
  intervalRef?: string;
}

export interface ChampionDecision {
  /**
   * `not-registered`: onlyIfBetterThanChampion and the champion was not beaten. `deferred`: too few days of rows
   * neither model was fitted on; the candidate is registered as the challenger, like a `kept` one.
   */
  decision: 'promoted' | 'kept' | 'first-champion' | 'not-registered' | 'deferred';
  championVersion: number;
  previousChampion?: { version: number; rmse: number };
  candidate: { version: number; rmse: number };
  validationYear: number;
  reason: string;
  /** The comparison behind a promoted/kept/deferred decision (absent for a first champion). */
  comparison?: ModelComparison;
  /** The candidate's alias after the decision when it is not the champion. */
  challengerVersion?: number;
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
  strategy?: SearchStrategy;
  /** The seed's IS_RUN_FINE_TUNING: false skips the search (only data preparation runs unless params are given). */
  runFineTuning: boolean;
  infraRetryWindowMs?: number;
  maxFailedShare?: number;
  /** The seed's IS_REGISTER_MODELS. */
  registerModels: boolean;
  trigger: RunTrigger;
  /** For a retraining run: the retraining check's stored drift report, shown in the run report. */
  driftReportRef?: string;
  /** Feature pipeline (default v2). */
  features?: FeatureSet;
  /** v2 derived features to leave out (see PrepareDatasetInput.omitFeatures). */
  omitFeatures?: string[];
  /** Recency weights in the search and the refit (see RunTrialInput.recencyHalfLife); absent: off. */
  recencyHalfLife?: number;
  /** Refit the selected model on train + validation years before registering (default false). */
  refit?: boolean;
  /** Register the average of the top k trials as one model (default 1: the best trial alone). */
  ensemble?: number;
  /** A backtest of these training settings, recorded with the registered versions. */
  backtest?: BacktestSummary;
  /** See PrepareDatasetInput.maxBadRowShare. */
  maxBadRowShare?: number;
  /** See PrepareDatasetInput.expectedObjects: set by the retraining check that starts the training. */
  expectedObjects?: ExpectedObject[];
  /** See RegisterModelsInput.onlyIfBetterThanChampion. */
  registerOnlyIfBetter?: boolean;
  /** `--min-comparison-days` / `--promotion-confidence`; absent: DEFAULT_EVIDENCE. */
  evidence?: EvidenceSettings;
  /** Mirror the run, its trials and its registered versions to this MLflow tracking server (no credentials in it). */
  mlflowTrackingUri?: string;
}

export type BacktestSettings = Pick<
  TrainingInput,
  | 'features'
  | 'refit'
  | 'ensemble'
  | 'trials'
  | 'seed'
  | 'params'
  | 'earlyStoppingRounds'
  | 'schema'
  | 'omitFeatures'
  | 'recencyHalfLife'
>;

/** What a registry record keeps of a backtest (`client backtest`) of its training settings. */
export interface BacktestSummary {
  workflowId: string;
  meanRmse: number;
  rmseByYear: Record<string, number>;
}

export type TrainingStage =
  'preparing' | 'searching' | 'finalizing' | 'registering' | 'reporting' | 'mirroring' | 'done';

export interface TrainingResult {
  workflowId: string;
  modelName: string;
  dataset: PreparedDatasetSummary;
  search?: {
    leaderboard: TrialResult[];
    failures: TrialFailure[];
    counts?: TrialCounts;
    trialTableRef?: string;
    strategy?: Required<SearchStrategy>;
  };
  /** The refitted or ensemble model registered instead of the search's best trials. */
  finalModel?: TrialResult;
  registration?: RegisterModelsResult;
  /** Artifact-store key of the run report (`reports/<run id>.html`). */
  reportRef?: string;
  /** The MLflow mirror's outcome, when the run was started with an MLflow tracking URI. */
  mlflow?: MlflowMirrorSummary;
}

/** Mirrors a finished training (its run, trials, artifacts, registered versions and aliases) to MLflow. */
export interface MirrorToMlflowInput {
  trackingUri: string;
  workflowId: string;
  /** ISO time the training workflow started. */
  startedAt: string;
  training: Omit<TrainingInput, 'mlflowTrackingUri'>;
  result: TrainingResult;
}

export interface MlflowMirrorCounts {
  experiments: number;
  runs: number;
  trialRuns: number;
  modelVersions: number;
  /** Duplicates (left by a concurrent or retried writer) deleted. */
  duplicatesRemoved: number;
}

export interface MirrorToMlflowResult {
  experimentId: string;
  runId: string;
  trialRuns: number;
  /** This project's version → the MLflow model version that mirrors it. */
  versions: { version: number; mlflowVersion: string }[];
  /** Aliases as MLflow has them now (alias → MLflow version). */
  aliases: Record<string, string>;
  created: MlflowMirrorCounts;
}

/** A training's mirror never fails the training: `failed` says why, and `client mlflow sync` completes it later. */
export type MlflowMirrorSummary =
  | ({ status: 'mirrored'; trackingUri: string } & Omit<MirrorToMlflowResult, 'created'>)
  | { status: 'failed'; trackingUri: string; error: string };

export interface BuildRunReportInput {
  /** The training workflow id. */
  runId: string;
  training: Pick<
    TrainingInput,
    | 'modelName'
    | 'dataUri'
    | 'filePrefix'
    | 'years'
    | 'validationYear'
    | 'schema'
    | 'trigger'
    | 'driftReportRef'
  >;
  result: TrainingResult;
  /** ISO time the training workflow started. */
  startedAt: string;
  /** The workflow that started this run (a retraining check), if any. */
  parentWorkflowId?: string;
}

export interface BuildRunReportResult {
  reportRef: string;
  bytes: number;
  buildMs: number;
  /** Time for the SHAP values of the validation set (native models only). */
  shapMs?: number;
}

export interface PredictInput {
  modelName: string;
  /** A version number or an alias such as `champion`. */
  version: string;
  /** Prediction rows with the seed's fields; numbers may be strings. */
  rows: Record<string, unknown>[];
  /** Also return central prediction intervals at this level (e.g. 0.9). */
  interval?: number;
}

export interface PredictResult {
  modelName: string;
  version: number;
  engine: EngineName;
  predictions: number[];
  /** With PredictInput.interval: one [low, high] per prediction, clamped at 0. */
  intervals?: [number, number][];
  intervalLevel?: number;
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
  /** Drift compares the rows the prediction service logged over this many days, not the new files. */
  driftFromPredictionLogDays?: number;
  /** A training the check starts fails after this long (e.g. no worker on the trial queue); default 6 hours. */
  trainingTimeoutMinutes?: number;
  /** Alerts of this check go here instead of the worker's ALERT_WEBHOOK_URL (`--alert-webhook`). */
  alertWebhookUrl?: string;
  /** The local day whose monitoring record the check writes; default: the day before the check started (UTC). */
  monitorDay?: string;
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
  /** As the training will prepare the set: they are part of its content address. */
  features?: FeatureSet;
  earlyStoppingSlice?: boolean;
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
  /** When set, the PSI's "current" rows are the prediction log's of this many days (decay still uses `keys`). */
  predictionLogDays?: number;
  /** Decay's evidence rule; absent (checks started before it existed): the plain ratio, no verdict. */
  evidence?: EvidenceSettings;
  decayRatio?: number;
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
  /** The PSI compared with the same calendar months of the training data (see DriftReport.seasonMatched). */
  seasonMatched?: boolean;
  /** Files that could not be parsed (the training started on them will fail and say why). */
  unreadable: string[];
  psi: Record<string, number>;
  /**
   * Present when the new rows have labels. With `verdict` (checks since issue 16): on the labelled rows after the
   * champion's trainedThrough only, against `expectedRmse` (backtest mean when recorded, else validation RMSE).
   */
  decay?: {
    rmse: number;
    validationRmse: number;
    ratio: number;
    expectedRmse?: number;
    expectedFrom?: 'backtest' | 'validation';
    low?: number | null;
    high?: number | null;
    from?: string;
    to?: string;
    rows?: number;
    days?: number;
    verdict?: 'decayed' | 'not-decayed' | 'too-few-days';
    reason?: string;
    /** The champion's 90 % intervals on the same labelled rows (when it has a calibration). */
    interval?: IntervalQuality;
  };
  /** Where the PSI's current rows came from, when not from the files. */
  current?: { source: 'prediction-log'; days: number; files: number; badLines: number };
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
    | 'already-retrained'
    | 'unchanged-training-data';
  retrained: boolean;
  reasons: string[];
  diff: DataStateInspection['diff'];
  drift?: DriftSummary;
  /** What the served versions scored on the newly arrived labelled rows (see monitoring/live-accuracy). */
  liveAccuracy?: LiveAccuracySummary;
  trainingWorkflowId?: string;
  /** The champion decision of this check: the challenger's re-comparison, or the training's registration. */
  comparison?: ModelComparison;
  /** The re-comparison of a standing challenger on rows newer than both models, when there was one. */
  challenger?: ChallengerCheckResult;
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
  /** The day's monitoring record and alerts (monitor activity); absent on checks from before it existed. */
  monitoring?: { day: string; records: number; alerts: number; skipped?: string; error?: string };
}

/** The retraining check's join of the prediction log with the newly arrived labelled rows. */
export interface MeasureLiveAccuracyInput {
  dataUri: string;
  /** The newly arrived (added or changed) data files. */
  keys: string[];
  modelName: string;
  checkId: string;
  schema?: SchemaInput;
}

export interface LiveAccuracySummary extends LiveAccuracy {
  /** Labelled rows read from `keys`. */
  labelledRows: number;
  /** Data files that could not be parsed (left out of the join). */
  unreadable: string[];
  logFiles: number;
  /** Prediction-log lines that did not parse (counted, left out). */
  badLogLines: number;
}

export interface ScoreYearInput {
  dataUri: string;
  filePrefix: string;
  year: number;
  modelName: string;
  /** A version number or an alias such as `champion`. */
  version: number | string;
  schema: SchemaInput;
  /** Also measure the version's prediction intervals at this level (coverage, mean width). */
  interval?: number;
}

/** Prediction intervals measured on rows with labels: the share inside their interval, and the mean width. */
export interface IntervalQuality {
  level: number;
  coverage: number;
  meanWidth: number;
}

export interface ScoreYearResult {
  year: number;
  modelName: string;
  version: number;
  rows: number;
  metrics: RegressionMetrics;
  interval?: IntervalQuality;
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
  /** Level of the prediction intervals whose coverage each origin reports (absent: none measured). */
  interval?: number;
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
  /** Coverage and mean width of the champion's prediction intervals on the origin year. */
  interval?: IntervalQuality;
}

export interface BacktestResult {
  modelNamePrefix: string;
  /** The training settings that decide model quality, to match a later `train --backtest` against. */
  settings: BacktestSettings;
  origins: BacktestOrigin[];
  /** Means over the origins of RMSE, MAE and R². */
  mean: RegressionMetrics;
}

export interface RecheckChallengerInput {
  modelName: string;
  dataUri: string;
  filePrefix: string;
  /** The data objects present (all years): their labelled rows newer than both models are compared. */
  objects: { key: string; year: number }[];
  schema?: SchemaInput;
  evidence: EvidenceSettings;
  checkId: string;
}

export interface ChallengerCheckResult {
  /** `none`: no challenger standing (or it is the champion). */
  outcome: 'none' | 'promoted' | 'kept' | 'deferred';
  championVersion?: number;
  challengerVersion?: number;
  comparison?: ModelComparison;
}
