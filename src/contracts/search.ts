import type { SelectedModel } from './comparison';
import type { EngineChoice, EngineName, RegressionMetrics, XGBoostParams } from './domain';

/** What a trial is given when it starts: the rungs and, for each, the score it must not exceed (null: no cut). */
export interface RungCutoffs {
  rounds: number[];
  cutoffs: (number | null)[];
}

export type SamplerKind = 'random' | 'tpe';

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

/**
 * Several trials in one activity (patch 'trial-batches'): what they share is sent once, then each trial's own
 * id, parameters, cut-offs and model bound. The activity runs them one after another in one training thread.
 */
export interface RunTrialBatchInput {
  datasetRef: string;
  datasetHash: string;
  engine: EngineChoice;
  earlyStoppingRounds: number;
  recencyHalfLife?: number;
  trials: BatchTrial[];
}

export type BatchTrial = Pick<RunTrialInput, 'trialId' | 'params' | 'pruning' | 'storeModelIfRmseAtMost'>;

/** How one trial of a batch ended: a result (succeeded or pruned) or its final failure. */
export type TrialBatchOutcome =
  { trialId: string; result: TrialResult } | { trialId: string; error: string; errorType: string };

/**
 * The batch's heartbeat details, and the details of every failure it throws: the trials finished so far. A
 * retry starts after them (none runs twice once its outcome reached the server); the search accounts them
 * even when the batch as a whole fails.
 */
export interface TrialBatchProgress {
  done: TrialBatchOutcome[];
  /** The first unfinished trial and how many attempts of it failed with a retryable error. */
  retrying?: { trialId: string; failedAttempts: number };
  /** Progress of the running trial (step, round), as a single trial heartbeats it. */
  current?: Record<string, unknown>;
}

export interface RunTrialBatchResult {
  /** One per trial of the input, in its order. */
  outcomes: TrialBatchOutcome[];
  /** The worker process that ran the batch and its trial slots: the search sizes batches to keep all busy. */
  worker?: { id: string; slots: number };
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
  /**
   * Trials per activity (patch 'trial-batches'): several short trials share one activity task, which saves
   * the per-activity cost of the Temporal server and worker. Default: chosen from the measured trial time
   * (see src/workflows/trial-batch-size.ts); 1 gives one activity per trial.
   */
  trialsPerActivity?: number;
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
  /**
   * The refitted members, one per trial in the same order, when the workflow ran the refits as refitMember
   * activities on the trial queue (patch 'refit-members-on-trial-queue'); absent: finalizeModel refits itself.
   */
  refitted?: RefitMemberResult[];
  /** How the intervals are calibrated (src/evaluation/prediction-interval.ts); absent: INTERVAL_METHOD_WHEN_ABSENT. */
  intervalMethod?: IntervalMethod;
  /**
   * With 'one-year-ahead' or 'worst-year': each trial's predictions from oneYearAheadMember activities on the trial
   * queue, one per trial in the same order (patch 'one-year-ahead-on-trial-queue'); absent: finalizeModel trains
   * them itself.
   */
  oneYearAhead?: OneYearAheadMemberResult[];
}

/** How a version's prediction intervals are calibrated (see src/evaluation/prediction-interval.ts). */
export type IntervalMethod = 'validation-year' | 'one-year-ahead' | 'worst-year';

/** What a new training calibrates with unless told (the CLI and `npm start` write it into the input). */
export const DEFAULT_INTERVAL_METHOD: IntervalMethod = 'worst-year';

/**
 * The method of an input that names none: runs and schedules started before `worst-year` became the default keep
 * the calibration they were started with.
 */
export const INTERVAL_METHOD_WHEN_ABSENT: IntervalMethod = 'one-year-ahead';

/** Whether a method calibrates on one-year-ahead trainings (every method but 'validation-year'). */
export function usesOneYearAhead(method: IntervalMethod): boolean {
  return method !== 'validation-year';
}

/** One selected trial's one-year-ahead trainings, for the 'one-year-ahead' and 'worst-year' interval calibrations. */
export interface OneYearAheadMemberInput {
  datasetRef: string;
  datasetHash: string;
  trial: TrialResult;
  engine: EngineChoice;
  /** See RunTrialInput.recencyHalfLife. */
  recencyHalfLife?: number;
}

export interface OneYearAheadMemberResult {
  trialId: string;
  /** The predicted years, oldest first (none when the training rows span one year or have no stored times). */
  years: number[];
  rows: number;
  /** The predictions of those years' rows in order, little-endian float32; absent when there are none. */
  predictionsRef?: string;
}

/** Refits one selected trial on the training, early-stopping and validation rows with its selected rounds. */
export interface RefitMemberInput {
  datasetRef: string;
  datasetHash: string;
  trial: TrialResult;
  engine: EngineChoice;
  /** See RunTrialInput.recencyHalfLife. */
  recencyHalfLife?: number;
}

export interface RefitMemberResult {
  trialId: string;
  engine: EngineName;
  modelRef: string;
  rounds: number;
  /** Rows the member was refitted on. */
  rows: number;
  trainMs: number;
}

/**
 * The failure type of a trial cut short by its worker's own shutdown (after the grace time): retryable, and
 * never the trial's fault; the search re-runs a trial whose final failure is still this one.
 */
export const WORKER_SHUTDOWN_FAILURE = 'WorkerShutdown';
