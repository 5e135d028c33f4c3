import { z } from 'zod';
import type { EngineName, RegressionMetrics, XGBoostParams } from '../contracts/domain';
import type { ModelComparisonRecord } from '../contracts/comparison';

/** One registered model version, stored as `registry/<model>/versions/<n>.json`. */
export interface ModelVersion {
  modelName: string;
  version: number;
  createdAt: string;
  /** Artifact-store key of the serialised model. */
  modelRef: string;
  /** Artifact-store key of the fitted feature pipeline. */
  pipelineRef: string;
  engine: EngineName;
  engineVersion: string;
  rounds: number;
  params: XGBoostParams;
  metrics: RegressionMetrics;
  validationYear: number;
  datasetHash: string;
  sourceObjects: { key: string; etag: string; size: number }[];
  trainingWorkflowId: string;
  trialId: string;
  /** The report of the training run that produced this version. */
  reportRef?: string;
  /** `ensemble`: modelRef is an ensemble model (src/ml/ensemble-model.ts); absent means a single model. */
  modelFormat?: 'single' | 'ensemble';
  /** Version of the stored feature pipeline (absent on records from before v2: 1). */
  pipelineVersion?: number;
  /** The slice early stopping watched and the RMSE there; `metrics` are on the validation year. */
  earlyStopping?: { from: string; to: string; rows: number; rmse?: number };
  /** Refitted after selection on the training and validation years with the selected rounds. */
  refit?: { rounds: number; rows: number };
  /** Ensemble: the trials averaged. */
  members?: string[];
  /** The rolling-origin backtest of the same training settings (`train --backtest <id>`). */
  backtest?: { workflowId: string; meanRmse: number; rmseByYear: Record<string, number> };
  /** Prediction-interval calibration (absent on versions registered before intervals existed). */
  intervalRef?: string;
  /**
   * Latest date_time of any row this model was fitted on (training rows, early-stopping slice, refit rows; for
   * an ensemble the latest over its members). Absent on records from before issue 16.
   */
  trainedThrough?: string;
  /** The period the model was selected on (its validation rows). */
  selection?: { from: string; to: string; rows: number };
  /**
   * A refitted model as selected, before the refit, with what that one was fitted on: it stands for this
   * version where the refitted model has seen the rows (its own selection period).
   */
  selected?: {
    modelRef: string;
    modelFormat: 'single' | 'ensemble';
    engine: EngineName;
    rounds: number;
    trainedThrough: string;
  };
  /** The comparison with the champion made when this version was registered (see ModelComparison). */
  comparison?: ModelComparisonRecord;
}

/** How an alias move came about: a promotion (automatic or by hand) or a rollback to the previous holder. */
export type AliasAction = 'promote' | 'rollback';

/** The current state of an alias: the record with the highest sequence number. */
export interface AliasState {
  version: number;
  seq: number;
  setAt: string;
  reason?: string;
  /** Who moved it: e.g. `training` for an automatic promotion, or the user of the CLI. */
  by?: string;
  /** The workflow (training run, check) that moved it, when one did. */
  runId?: string;
  action?: AliasAction;
  /** Moved by hand (`models promote` / `models rollback`), not by a training or check's decision. */
  manual?: boolean;
}

/** One entry of an alias's append-only history, stored as `registry/<model>/aliases/<alias>/<seq>.json`. */
export interface AliasRecord extends AliasState {
  modelName: string;
  alias: string;
}

const timestamp = z.iso.datetime({ offset: true });
const positiveInt = z.number().int().positive();

const paramsSchema = z.object({
  n_estimators: positiveInt,
  max_depth: z.number().int().nonnegative(),
  learning_rate: z.number(),
  gamma: z.number(),
  reg_alpha: z.number(),
  reg_lambda: z.number(),
  subsample: z.number(),
  colsample_bytree: z.number(),
  min_child_weight: z.number().optional(),
  seed: z.number().int().optional(),
}) satisfies z.ZodType<XGBoostParams>;

const metricsSchema = z.object({
  rmse: z.number(),
  mae: z.number(),
  r2: z.number(),
}) satisfies z.ZodType<RegressionMetrics>;

const nullableNumber = z.number().nullable();

export const modelComparisonSchema = z.object({
  from: z.string(),
  to: z.string(),
  rows: z.number().int().nonnegative(),
  days: z.number().int().nonnegative(),
  champion: z.object({ version: positiveInt, rmse: nullableNumber }),
  challenger: z.object({ version: z.number().int().nonnegative(), rmse: nullableNumber }),
  difference: z.object({ estimate: nullableNumber, low: nullableNumber, high: nullableNumber }),
  decision: z.enum(['promoted', 'kept', 'deferred']),
  reason: z.string(),
}) satisfies z.ZodType<ModelComparisonRecord>;

export const modelVersionSchema = z.object({
  modelName: z.string().min(1),
  version: positiveInt,
  createdAt: timestamp,
  modelRef: z.string().min(1),
  pipelineRef: z.string().min(1),
  engine: z.enum(['native', 'wasm']),
  engineVersion: z.string().min(1),
  rounds: positiveInt,
  params: paramsSchema,
  metrics: metricsSchema,
  validationYear: z.number().int(),
  datasetHash: z.string().min(1),
  sourceObjects: z.array(
    z.object({ key: z.string().min(1), etag: z.string(), size: z.number().int().nonnegative() }),
  ),
  trainingWorkflowId: z.string().min(1),
  trialId: z.string().min(1),
  reportRef: z.string().min(1).optional(),
  modelFormat: z.enum(['single', 'ensemble']).optional(),
  pipelineVersion: z.number().int().positive().optional(),
  earlyStopping: z
    .object({
      from: z.string(),
      to: z.string(),
      rows: z.number().int().nonnegative(),
      rmse: z.number().optional(),
    })
    .optional(),
  refit: z.object({ rounds: positiveInt, rows: z.number().int().nonnegative() }).optional(),
  members: z.array(z.string().min(1)).optional(),
  backtest: z
    .object({
      workflowId: z.string().min(1),
      meanRmse: z.number(),
      rmseByYear: z.record(z.string(), z.number()),
    })
    .optional(),
  intervalRef: z.string().min(1).optional(),
  trainedThrough: z.string().optional(),
  selection: z.object({ from: z.string(), to: z.string(), rows: z.number().int().nonnegative() }).optional(),
  selected: z
    .object({
      modelRef: z.string().min(1),
      modelFormat: z.enum(['single', 'ensemble']),
      engine: z.enum(['native', 'wasm']),
      rounds: positiveInt,
      trainedThrough: z.string(),
    })
    .optional(),
  comparison: modelComparisonSchema.optional(),
}) satisfies z.ZodType<ModelVersion>;

export const aliasRecordSchema = z.object({
  modelName: z.string().min(1),
  alias: z.string().min(1),
  version: positiveInt,
  seq: positiveInt,
  setAt: timestamp,
  reason: z.string().optional(),
  by: z.string().min(1).optional(),
  runId: z.string().min(1).optional(),
  action: z.enum(['promote', 'rollback']).optional(),
  manual: z.boolean().optional(),
}) satisfies z.ZodType<AliasRecord>;
