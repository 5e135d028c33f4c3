import type { FeatureSet } from './domain';
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
  /** Which days v2 treats as holidays (`--holidays`); absent: `federal`, as before issue 22. */
  holidays?: HolidayCalendar;
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

export interface EarlyStoppingSlice {
  /** First and last date-time of the slice (local, `YYYY-MM-DD HH:MM:SS`). */
  from: string;
  to: string;
  rows: number;
}

/**
 * Which days feature pipeline v2 treats as holidays: `federal`, every observed US federal holiday and the
 * State Fair's opening day; `major`, only the six most private employers close on (src/data/us-holidays.ts).
 */
export const HOLIDAY_CALENDARS = ['federal', 'major'] as const;
export type HolidayCalendar = (typeof HOLIDAY_CALENDARS)[number];
