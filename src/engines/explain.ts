/**
 * SHAP explanations of a model's predictions, mapped from model features back to the input columns.
 *
 * The groups follow the pipeline's own record of each feature's raw inputs (`featureInputs`, v2): a feature
 * of one raw column (a numeric column, a one-hot `weather_main=…`) belongs to that column, so the one-hot
 * weather columns sum into `weather_main`; a feature of several columns (`holiday_day`, `working_day`,
 * `hour_by_working_day`: holiday and date_time) belongs to the group of those columns, `holiday + date_time`.
 * Calendar parts of the timestamp alone (hour, month, day_of_week, day_of_year) keep their own names rather
 * than being summed into `date_time`, because "the hour" explains a traffic prediction and "the timestamp"
 * does not. Pipelines without `featureInputs` (v1) are grouped by name: `column=value` belongs to `column`.
 */
import type { DenseMatrix } from '../contracts';
import type { TrainedModel } from './engine';
import { transformWithPipeline, type AnyFeaturePipeline } from '../features/feature-pipeline';
import type { TrafficRow } from '../contracts/domain';

/** The columns features are attributed to, and for each feature the index of its column. */
export interface ColumnGroups {
  columns: string[];
  columnOfFeature: number[];
}

/** Contributions of many rows, column-major per row: `contributions[r * columns.length + c]`. */
export interface Explanation {
  columns: string[];
  rows: number;
  predictions: Float32Array;
  /** The expected prediction (XGBoost's bias term); the same for every row of one model. */
  bias: number;
  contributions: Float64Array;
}

/** One row in a form for people and JSON: contributions largest first. */
export interface RowExplanation {
  prediction: number;
  bias: number;
  contributions: Array<{ column: string; value: number }>;
}

/** Joins the raw columns of a feature computed from several of them into one group name. */
export const INPUT_GROUP_SEPARATOR = ' + ';

/** The raw input columns a group name stands for (one, or several joined by INPUT_GROUP_SEPARATOR). */
export function inputsOfGroup(column: string): string[] {
  return column.split(INPUT_GROUP_SEPARATOR);
}

type GroupedPipeline = Pick<AnyFeaturePipeline, 'featureNames'> & {
  featureInputs?: Record<string, string[]>;
};

/** Which column each feature is attributed to: through the pipeline's `featureInputs`, else by name. */
export function columnGroups(pipeline: GroupedPipeline): ColumnGroups {
  const inputs = pipeline.featureInputs;
  const columns: string[] = [];
  const columnOfFeature = pipeline.featureNames.map((feature) => {
    const column = inputs?.[feature] ? groupOfInputs(feature, inputs[feature]) : sourceColumnOfName(feature);
    let index = columns.indexOf(column);
    if (index < 0) index = columns.push(column) - 1;
    return index;
  });
  return { columns, columnOfFeature };
}

/** The raw column of a one-column feature; the joined columns of a many-column one; a calendar part's name. */
function groupOfInputs(feature: string, inputs: readonly string[]): string {
  if (inputs.length > 1) return inputs.join(INPUT_GROUP_SEPARATOR);
  const [column] = inputs;
  // A raw column or one of its one-hot values; else a part derived from one column (hour of date_time).
  return feature === column || feature.startsWith(`${column}=`) ? column : feature;
}

function sourceColumnOfName(feature: string): string {
  const cut = feature.indexOf('=');
  return cut > 0 ? feature.slice(0, cut) : feature;
}

/**
 * SHAP values of every row of `x` (already transformed by `pipeline`), summed per source column. Several
 * models are an ensemble that averages its members: SHAP values are additive, so the ensemble's values are
 * the mean of its members' (and still sum, with the mean bias, to its prediction).
 */
export function explainMatrix(
  models: readonly TrainedModel[],
  pipeline: GroupedPipeline,
  x: DenseMatrix,
): Explanation {
  if (models.length === 0) throw new RangeError('no model to explain');
  const outputs = models.map((m) => ({ predictions: m.predict(x), contributions: m.contributions(x) }));
  return groupContributions(pipeline, meanOutputs(outputs));
}

/** The mean of several models' predictions and SHAP values (an ensemble's, since SHAP values are additive). */
export function meanOutputs(outputs: readonly ModelOutputs[]): ModelOutputs {
  const [first] = outputs;
  const predictions = new Float32Array(first.predictions.length);
  const contributions = new Float32Array(first.contributions.length);
  for (const o of outputs) {
    for (let i = 0; i < predictions.length; i++) predictions[i] += o.predictions[i] / outputs.length;
    for (let i = 0; i < contributions.length; i++) contributions[i] += o.contributions[i] / outputs.length;
  }
  return { predictions, contributions };
}

/** A model's predictions and its per-feature SHAP values (rows x (features + 1), bias last). */
export interface ModelOutputs {
  predictions: Float32Array;
  contributions: Float32Array;
}

/** Sums per-feature SHAP values (rows x (features + 1), bias last, as XGBoost returns them) per source column. */
export function groupContributions(pipeline: GroupedPipeline, model: ModelOutputs): Explanation {
  const { columns, columnOfFeature } = columnGroups(pipeline);
  const cols = pipeline.featureNames.length;
  const rows = model.predictions.length;
  const stride = cols + 1;
  if (model.contributions.length !== rows * stride) {
    throw new RangeError(
      `${model.contributions.length} contributions for ${rows} rows of ${cols} features (expected ${rows * stride})`,
    );
  }
  const raw = model.contributions;
  const contributions = new Float64Array(rows * columns.length);
  for (let r = 0; r < rows; r++) {
    const from = r * stride;
    const to = r * columns.length;
    for (let f = 0; f < cols; f++) contributions[to + columnOfFeature[f]] += raw[from + f];
  }
  return { columns, rows, predictions: model.predictions, bias: rows > 0 ? raw[cols] : 0, contributions };
}

/** Applies the model's own feature pipeline to raw rows and explains them. */
export function explainRows(
  models: readonly TrainedModel[],
  pipeline: AnyFeaturePipeline,
  rows: readonly TrafficRow[],
): Explanation {
  return explainMatrix(models, pipeline, transformWithPipeline(pipeline, rows).matrix);
}

/** Per-row explanations, the `top` largest contributions by absolute value first (all when omitted). */
export function toRowExplanations(explanation: Explanation, top?: number): RowExplanation[] {
  const { columns } = explanation;
  const round = (value: number): number => Math.round(value * 100) / 100;
  return Array.from({ length: explanation.rows }, (_, r) => {
    const contributions = columns
      .map((column, c) => ({ column, value: explanation.contributions[r * columns.length + c] }))
      .sort((a, b) => Math.abs(b.value) - Math.abs(a.value))
      .slice(0, top ?? columns.length)
      .map(({ column, value }) => ({ column, value: round(value) }));
    return { prediction: round(explanation.predictions[r]), bias: round(explanation.bias), contributions };
  });
}

/** Mean |SHAP| per column over all rows, largest first. */
export function meanAbsoluteContributions(
  explanation: Explanation,
): Array<{ column: string; value: number }> {
  const { columns, rows, contributions } = explanation;
  const sums = new Float64Array(columns.length);
  for (let i = 0; i < contributions.length; i++) sums[i % columns.length] += Math.abs(contributions[i]);
  return columns
    .map((column, c) => ({ column, value: rows > 0 ? sums[c] / rows : 0 }))
    .sort((a, b) => b.value - a.value);
}
