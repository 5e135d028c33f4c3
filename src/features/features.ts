/**
 * The feature pipeline, with parity to the seed's sklearn Pipeline
 * (FeatureEngineeringTransformer → DictVectorizerTransformer on weather_main).
 *
 * Column order equals the seed's DataFrame after both steps: the schema's feature columns without
 * weather_main (holiday as 0/1), then hour, month, day_of_week, then the sorted `weather_main=<value>`
 * one-hot columns learned on the training rows.
 */
import { holidayNameOf } from '../data/us-holidays';
import { z } from 'zod';
import type { DenseMatrix } from '../contracts/domain';
import type { TrafficRow } from '../contracts/domain';
import { DEFAULT_SCHEMA, NUMERIC_FIELDS, type DatasetSchema } from '../data/dataset-schema';
import { dayOfWeek } from '../data/local-date-time';

/** Bump on any change that alters the matrix produced for the same rows. */
export const FEATURE_PIPELINE_VERSION = 1;

export const CATEGORICAL_COLUMN = 'weather_main';
export const DATE_FEATURES = ['hour', 'month', 'day_of_week'] as const;
/** The seed folds these rare weather_main values into one category. */
export const DEFAULT_CATEGORY_MERGE: Readonly<Record<string, string>> = {
  Fog: 'Fog_Smoke_Squall',
  Smoke: 'Fog_Smoke_Squall',
  Squall: 'Fog_Smoke_Squall',
};

/** Columns copied as numbers, in order; `holiday` becomes 0/1. */
export type ScalarColumn = 'holiday' | (typeof NUMERIC_FIELDS)[number];

export interface FeaturePipeline {
  kind: 'traffic-features';
  version: number;
  scalarColumns: ScalarColumn[];
  dateFeatures: (typeof DATE_FEATURES)[number][];
  categoricalColumn: typeof CATEGORICAL_COLUMN | null;
  categoryMerge: Record<string, string>;
  /** Category values (after merging) seen in training, sorted as DictVectorizer sorts feature names. */
  vocabulary: string[];
  featureNames: string[];
}

export interface FitFeaturePipelineInput {
  rows: readonly TrafficRow[];
  schema?: DatasetSchema;
}

/**
 * Seed parity on the data's values: `0 if str(x) == "None" else 1`; an empty field (no holiday) also counts
 * as 0. Names are matched to the data's holidays case-insensitively; a name that is none of them is not a
 * holiday (0) and is flagged to the caller (see isKnownHolidayValue), as an unknown weather_main is.
 */
export function holidayFlag(holiday: string): number {
  return holidayNameOf(holiday) === undefined ? 0 : 1;
}

function mergedCategory(value: string, merge: Record<string, string>): string {
  return Object.prototype.hasOwnProperty.call(merge, value) ? merge[value] : value;
}

/** Python sorts str by code point; JS `<` on strings compares UTF-16 units, equal for the BMP. */
function codePointCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function featureNamesOf(
  p: Pick<FeaturePipeline, 'scalarColumns' | 'dateFeatures' | 'categoricalColumn' | 'vocabulary'>,
): string[] {
  const oneHot = p.categoricalColumn === null ? [] : p.vocabulary.map((v) => `${p.categoricalColumn}=${v}`);
  return [...p.scalarColumns, ...p.dateFeatures, ...oneHot];
}

export function fitFeaturePipeline(input: FitFeaturePipelineInput): FeaturePipeline {
  const schema = input.schema ?? DEFAULT_SCHEMA;
  const scalarColumns: ScalarColumn[] = [];
  let categoricalColumn: typeof CATEGORICAL_COLUMN | null = null;
  for (const column of schema.featureColumns) {
    if (column === CATEGORICAL_COLUMN) categoricalColumn = CATEGORICAL_COLUMN;
    else if (column === 'holiday' || (NUMERIC_FIELDS as readonly string[]).includes(column)) {
      scalarColumns.push(column as ScalarColumn);
    } else throw new Error(`unsupported feature column ${JSON.stringify(column)}`);
  }
  const categoryMerge = { ...DEFAULT_CATEGORY_MERGE };
  const seen = new Set<string>();
  if (categoricalColumn !== null) {
    for (const row of input.rows) seen.add(mergedCategory(row.weather_main, categoryMerge));
  }
  const vocabulary = [...seen].sort(codePointCompare);
  const parts = { scalarColumns, dateFeatures: [...DATE_FEATURES], categoricalColumn, vocabulary };
  return {
    kind: 'traffic-features',
    version: FEATURE_PIPELINE_VERSION,
    ...parts,
    categoryMerge,
    featureNames: featureNamesOf(parts),
  };
}

/** Row-major float32 matrix; unseen categories encode as all zeros (as DictVectorizer does). */
export function transformRows(pipeline: FeaturePipeline, rows: readonly TrafficRow[]): DenseMatrix {
  const cols = pipeline.featureNames.length;
  const data = new Float32Array(rows.length * cols);
  const scalarCount = pipeline.scalarColumns.length;
  const scalars = pipeline.scalarColumns;
  const dateAt = scalarCount;
  const oneHotAt = scalarCount + pipeline.dateFeatures.length;
  const dateFeatures = pipeline.dateFeatures;
  const categoryColumn = new Map<string, number>();
  pipeline.vocabulary.forEach((value, i) => categoryColumn.set(value, oneHotAt + i));
  for (const [from, to] of Object.entries(pipeline.categoryMerge)) {
    const target = categoryColumn.get(to);
    if (target !== undefined && !categoryColumn.has(from)) categoryColumn.set(from, target);
  }
  const encodeCategory = pipeline.categoricalColumn !== null;

  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    const base = r * cols;
    for (let c = 0; c < scalarCount; c++) {
      const column = scalars[c];
      data[base + c] = column === 'holiday' ? holidayFlag(row.holiday) : row[column];
    }
    const dt = row.date_time;
    for (let d = 0; d < dateFeatures.length; d++) {
      const name = dateFeatures[d];
      data[base + dateAt + d] = name === 'hour' ? dt.hour : name === 'month' ? dt.month : dayOfWeek(dt);
    }
    if (encodeCategory) {
      const at = categoryColumn.get(row.weather_main);
      if (at !== undefined) data[base + at] = 1;
    }
  }
  return { data, rows: rows.length, cols };
}

export function targetVector(
  rows: readonly TrafficRow[],
  schema: DatasetSchema = DEFAULT_SCHEMA,
): Float32Array {
  const labels = new Float32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const value = rows[i].traffic_volume;
    if (value === undefined)
      throw new Error(`row ${i} (${rows[i].date_time.text}) has no ${schema.targetColumn}`);
    labels[i] = value;
  }
  return labels;
}

const scalarColumnSchema = z.enum(['holiday', ...NUMERIC_FIELDS]);

const featurePipelineSchema = z.object({
  kind: z.literal('traffic-features'),
  version: z.number().int(),
  scalarColumns: z.array(scalarColumnSchema),
  dateFeatures: z.array(z.enum(DATE_FEATURES)),
  categoricalColumn: z.literal(CATEGORICAL_COLUMN).nullable(),
  categoryMerge: z.record(z.string(), z.string()),
  vocabulary: z.array(z.string()),
  featureNames: z.array(z.string()).min(1),
});

/** Checks a stored pipeline before use: shape, version, and that its feature names match its definition. */
export function validateFeaturePipeline(json: unknown): FeaturePipeline {
  const result = featurePipelineSchema.safeParse(json);
  if (!result.success) throw new Error(`invalid feature pipeline: ${z.prettifyError(result.error)}`);
  const p = result.data;
  if (p.version !== FEATURE_PIPELINE_VERSION) {
    throw new Error(
      `feature pipeline version ${p.version} is not supported (this build uses ${FEATURE_PIPELINE_VERSION}); re-prepare the data set`,
    );
  }
  const sorted = [...p.vocabulary].sort(codePointCompare);
  if (new Set(p.vocabulary).size !== p.vocabulary.length || sorted.some((v, i) => v !== p.vocabulary[i])) {
    throw new Error('invalid feature pipeline: vocabulary must be sorted and unique');
  }
  const expected = featureNamesOf(p);
  if (expected.length !== p.featureNames.length || expected.some((name, i) => name !== p.featureNames[i])) {
    throw new Error(
      `invalid feature pipeline: featureNames ${JSON.stringify(p.featureNames)} do not match its columns ${JSON.stringify(expected)}`,
    );
  }
  return p;
}
