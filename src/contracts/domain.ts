/** Shared domain types of the ML core. Plain data only: these values may cross worker-thread and Temporal boundaries. */

/** The raw columns of the UCI "Metro Interstate Traffic Volume" data set. */
export const RAW_COLUMNS = [
  'holiday',
  'temp',
  'rain_1h',
  'snow_1h',
  'clouds_all',
  'weather_main',
  'weather_description',
  'date_time',
  'traffic_volume',
] as const;

/** One validated input row; `date_time` is local wall-clock time, kept as its parts (no time zone is applied). */
export interface TrafficRow {
  holiday: string;
  temp: number;
  rain_1h: number;
  snow_1h: number;
  clouds_all: number;
  weather_main: string;
  weather_description?: string;
  date_time: LocalDateTime;
  /** Absent for rows given only for prediction. */
  traffic_volume?: number;
}

export interface LocalDateTime {
  year: number;
  month: number; // 1-12
  day: number; // 1-31
  hour: number; // 0-23
  minute: number;
  second: number;
  /** Canonical text form `YYYY-MM-DD HH:MM:SS`. */
  text: string;
}

/** XGBoost hyperparameters of one trial, named as in the seed (scikit-learn API names). */
export interface XGBoostParams {
  n_estimators: number;
  max_depth: number;
  learning_rate: number;
  gamma: number;
  reg_alpha: number;
  reg_lambda: number;
  subsample: number;
  colsample_bytree: number;
  min_child_weight?: number;
  seed?: number;
}

export interface RegressionMetrics {
  rmse: number;
  mae: number;
  r2: number;
}

export type EngineName = 'native' | 'wasm';
export type EngineChoice = EngineName | 'auto';

/** The feature pipelines a training can choose (`--features`). */
export const FEATURE_SETS = ['v1', 'v2'] as const;
export type FeatureSet = (typeof FEATURE_SETS)[number];

/** A dense row-major float32 matrix. */
export interface DenseMatrix {
  data: Float32Array;
  rows: number;
  cols: number;
}
