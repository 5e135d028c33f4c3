import type { IntervalQuality } from './comparison';
import type { RegressionMetrics } from './domain';
import type { TrainingInput } from './training';

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
  | 'holidays'
>;

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
