import type { TrainingInput, TrainingResult } from './training';

/** Mirrors a finished training (its run, trials, artifacts, registered versions and aliases) to MLflow. */
export interface MirrorToMlflowInput {
  trackingUri: string;
  workflowId: string;
  /** ISO time the training workflow started. */
  startedAt: string;
  training: Omit<TrainingInput, 'mlflowTrackingUri'>;
  result: TrainingResult;
}

/** One input's mean |SHAP| over all validation rows as a sample estimates it, with a 95 % interval (vehicles/h). */
export interface MeanAbsShapEstimate {
  column: string;
  value: number;
  low: number;
  high: number;
}

/**
 * The rows a run report's SHAP summary is of: `rows` of the `of` validation rows, picked by `design` ("even": spread
 * evenly over the year; "stratified": by hour of day × working day, spread evenly within each), and each input's
 * mean |SHAP| with its 95 % standard-error interval from those rows, largest first (src/evaluation/shap-precision.ts;
 * exact, with no width, when the sample is every row).
 */
export interface ShapSampleSummary {
  rows: number;
  of: number;
  design: 'even' | 'stratified';
  meanAbsShap: MeanAbsShapEstimate[];
}

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
    | 'shapSampleRows'
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
  /** The validation rows the SHAP values were computed on, and how precise the summary from them is. */
  shapSample?: ShapSampleSummary;
}
