import type { BacktestSummary, ChampionDecision, EvidenceSettings, RegisteredVersion } from './comparison';
import type {
  ExpectedObject,
  HolidayCalendar,
  PreparedDatasetSummary,
  RunTrigger,
  SchemaInput,
} from './dataset';
import type { FeatureSet } from './domain';
import type { MlflowMirrorSummary } from './mlflow-mirror';
import type {
  IntervalMethod,
  SearchInput,
  SearchStrategy,
  TrialCounts,
  TrialFailure,
  TrialResult,
} from './search';

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

export interface RegisterModelsResult {
  modelName: string;
  versions: RegisteredVersion[];
  champion: ChampionDecision;
}

/** The search settings a training passes on to its search (see SearchInput). */
type SearchSettings = Pick<
  SearchInput,
  | 'trials'
  | 'top'
  | 'parallelism'
  | 'seed'
  | 'engine'
  | 'earlyStoppingRounds'
  | 'params'
  | 'trialsPerActivity'
>;

export interface TrainingInput extends SearchSettings {
  modelName: string;
  dataUri: string;
  filePrefix: string;
  years: number[];
  validationYear: number;
  schema: SchemaInput;
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
  /** Which days feature pipeline v2 treats as holidays (`--holidays`); absent: `federal`. */
  holidays?: HolidayCalendar;
  /**
   * How the registered version's intervals are calibrated; absent: INTERVAL_METHOD_WHEN_ABSENT (`one-year-ahead`),
   * what inputs from before `worst-year` meant. New inputs name it (the CLI writes DEFAULT_INTERVAL_METHOD).
   */
  intervalMethod?: IntervalMethod;
  /** Refit the selected model on train + validation years before registering (default false). */
  refit?: boolean;
  /** Register the average of the top k trials as one model (default 1: the best trial alone). */
  ensemble?: number;
  /** Validation rows the run report's SHAP summary is computed on (default 1,000; see shap-sample.ts). */
  shapSampleRows?: number;
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
