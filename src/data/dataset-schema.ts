/** Which raw CSV columns feed the model, and what the seed's pipeline variables name them. */

/** Which CSV columns feed the model; `date_time` and the target may be named differently in the file. */
export interface DatasetSchema {
  /** Subset of the TrafficRow feature fields, in the order the seed's `COLUMNS` variable gives them. */
  featureColumns: string[];
  dateTimeColumn: string;
  targetColumn: string;
}

/** The seed's `COLUMNS`, `DATE_TIME` and `TARGET` pipeline variables. */
export const DEFAULT_SCHEMA: DatasetSchema = {
  featureColumns: ['holiday', 'temp', 'rain_1h', 'snow_1h', 'clouds_all', 'weather_main'],
  dateTimeColumn: 'date_time',
  targetColumn: 'traffic_volume',
};

export const NUMERIC_FIELDS = ['temp', 'rain_1h', 'snow_1h', 'clouds_all'] as const;
/** weather_description is used by feature pipeline v2 only (v1 ignores it). */
export const FEATURE_FIELDS = ['holiday', ...NUMERIC_FIELDS, 'weather_main', 'weather_description'] as const;
