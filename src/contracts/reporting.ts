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
  /** The validation rows the SHAP values were computed on: `rows` of the `of` rows, evenly spread. */
  shapSample?: { rows: number; of: number };
}
