import type { EngineName } from './domain';

/**
 * The model as selected, before any refit: the best trial's model or the ensemble of the selected trials' own
 * models. It was fitted only on rows before the validation period, so it stands for the candidate there.
 */
export interface SelectedModel {
  modelRef: string;
  modelFormat: 'single' | 'ensemble';
  engine: EngineName;
  rounds: number;
  /**
   * Its predictions of the validation year's prepared rows, in their order (finalizeModel computes them for the
   * calibration and the scores; the run report reuses them). Absent in results from before.
   */
  validationPredictionsRef?: string;
}

/** How much evidence a champion decision needs (see src/ml/model-comparison.ts). */
export interface EvidenceSettings {
  /** Fewest calendar days of rows neither model was fitted on (default 14). */
  minComparisonDays: number;
  /** Two-sided confidence of the interval of the RMSE difference (default 0.95). */
  promotionConfidence: number;
}

export const DEFAULT_EVIDENCE: EvidenceSettings = { minComparisonDays: 14, promotionConfidence: 0.95 };

/** A champion decision with its work (ModelComparison in the workflow contracts). */
export interface ModelComparisonRecord {
  from: string;
  to: string;
  rows: number;
  days: number;
  champion: { version: number; rmse: number | null };
  challenger: { version: number; rmse: number | null };
  difference: { estimate: number | null; low: number | null; high: number | null };
  decision: 'promoted' | 'kept' | 'deferred';
  reason: string;
}

/**
 * One champion decision with its work: the rows compared (labelled rows dated after both models' trainedThrough),
 * both RMSEs there and the bootstrap interval of challenger − champion. Null where no rows or too few days.
 * The registry stores it as is, so its type lives there.
 */
export type ModelComparison = ModelComparisonRecord;

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

/** What a registry record keeps of a backtest (`client backtest`) of its training settings. */
export interface BacktestSummary {
  workflowId: string;
  meanRmse: number;
  rmseByYear: Record<string, number>;
}

/** Prediction intervals measured on rows with labels: the share inside their interval, and the mean width. */
export interface IntervalQuality {
  level: number;
  coverage: number;
  meanWidth: number;
}
