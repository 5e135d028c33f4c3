import type { FeatureSet } from './domain';
import type { EvidenceSettings, IntervalQuality, ModelComparison } from './comparison';
import type { RunTrigger, SchemaInput, SourceObject } from './dataset';
import type { TrainingInput, TrainingResult } from './training';

export interface VersionLiveAccuracy {
  version: number;
  /** Served hours of this version that found their label. */
  rows: number;
  rmse: number;
  mae: number;
  /** First and last matched `date_time`. */
  from: string;
  to: string;
}

export interface LiveAccuracy {
  /** Served (date_time, version) pairs that found a label, over all versions. */
  matched: number;
  /** Served (date_time, version) pairs with no labelled row at that date_time (not labelled yet, or never). */
  unmatched: number;
  /** Log rows that repeat a (date_time, version) already served; only the last served answer counts. */
  duplicates: number;
  /** Served pairs whose date_time carries labelled rows that disagree on `traffic_volume`: left out, counted. */
  ambiguousLabels: number;
  byVersion: VersionLiveAccuracy[];
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

/** The check as its workflow is started: the retraining input plus the queue its trials run on. */
export interface RetrainCheckWorkflowInput extends RetrainCheckInput {
  trialTaskQueue: string;
}

export interface DataObject extends SourceObject {
  year: number;
}

/**
 * A data file to read: its key, and when a check inspected it, the ETag and SHA-256 it had then, so the
 * reader takes the inspection's parsed copy of exactly that version instead of reading the file again.
 */
export type DataFileRef = string | { key: string; etag?: string; sha256?: string };

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
  /** The inspected objects of `keys` (ETag, SHA-256): read from the inspection's parsed copy. */
  objects?: DataFileRef[];
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
  /** The check's refit judged by the refresh policy's record (when registered, not promoted at registration). */
  refreshRecord?: RefreshRecordResult;
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
  /** The inspected objects of `keys` (ETag, SHA-256): read from the inspection's parsed copy. */
  objects?: DataFileRef[];
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

export interface RecheckChallengerInput {
  modelName: string;
  dataUri: string;
  filePrefix: string;
  /** The data objects present (all years): their labelled rows newer than both models are compared. */
  objects: { key: string; year: number; etag?: string; sha256?: string }[];
  schema?: SchemaInput;
  evidence: EvidenceSettings;
  checkId: string;
}

/** The check's newest refit judged by the refresh policy's record (src/evaluation/refresh-record.ts). */
export interface RefreshRecordInput {
  modelName: string;
  dataUri: string;
  /** The data objects present (all years; ETag and SHA-256 as inspected): their labelled rows make the record. */
  objects: { key: string; year: number; etag?: string; sha256?: string }[];
  schema?: SchemaInput;
  evidence: EvidenceSettings;
  checkId: string;
  /** The version this check registered (its best refit): promoted when the record holds. */
  candidateVersion: number;
}

export interface RefreshRecordResult {
  /** `none`: the candidate is the champion already, or is not the newest refit. */
  outcome: 'none' | 'promoted' | 'kept' | 'deferred';
  championVersion?: number;
  candidateVersion: number;
  record?: {
    from: string;
    to: string;
    rows: number;
    days: number;
    /** Which refit and which year's model predicted how many rows, first and last. */
    pairs: { refit: number; yearModel: number; rows: number; from: string; to: string }[];
    refitsRmse: number | null;
    yearModelsRmse: number | null;
    /** refitsRmse - yearModelsRmse with its bootstrap interval; below zero means refitting pays. */
    difference: { estimate: number | null; low: number | null; high: number | null };
  };
  reason: string;
}

export interface ChallengerCheckResult {
  /** `none`: no challenger standing (or it is the champion). */
  outcome: 'none' | 'promoted' | 'kept' | 'deferred';
  championVersion?: number;
  challengerVersion?: number;
  comparison?: ModelComparison;
}
