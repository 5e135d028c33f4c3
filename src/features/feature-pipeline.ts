/**
 * The versioned feature pipelines behind one interface: v1 (seed parity, `features.ts`) and v2
 * (`features-v2.ts`). A fitted pipeline is stored with every model and carries its version, so any model
 * predicts from raw rows with exactly the pipeline it was trained with.
 */
import type { DatasetSchema } from '../data/dataset-schema';
import { DEFAULT_SCHEMA } from '../data/dataset-schema';
import {
  FEATURE_PIPELINE_VERSION,
  fitFeaturePipeline,
  transformRows,
  validateFeaturePipeline,
  type FeaturePipeline,
} from './features';
import {
  FEATURE_PIPELINE_V2,
  fitFeaturePipelineV2,
  transformRowsV2,
  validateFeaturePipelineV2,
  type FeaturePipelineV2,
  type TransformedRows,
} from './features-v2';
import { FEATURE_SETS, type FeatureSet, type TrafficRow } from '../contracts/domain';
import type { HolidayCalendar } from '../contracts/dataset';

export { FEATURE_SETS, type FeatureSet };
export const DEFAULT_FEATURE_SET: FeatureSet = 'v2';

export type AnyFeaturePipeline = FeaturePipeline | FeaturePipelineV2;

export function pipelineVersionOf(features: FeatureSet): number {
  return features === 'v1' ? FEATURE_PIPELINE_VERSION : FEATURE_PIPELINE_V2;
}

/** v1 knows only the seed's columns: a schema naming weather_description keeps it for v2 only. */
export function fitPipeline(input: {
  features: FeatureSet;
  rows: readonly TrafficRow[];
  schema?: DatasetSchema;
  /** v2 derived features to leave out (ablation); v1 has none to leave out. */
  omit?: readonly string[];
  /** Which days v2 treats as holidays (default `federal`); v1 knows only the rows' own holiday flag. */
  holidays?: HolidayCalendar;
}): AnyFeaturePipeline {
  const schema = input.schema ?? DEFAULT_SCHEMA;
  if (input.features === 'v2') {
    return fitFeaturePipelineV2({
      rows: input.rows,
      schema,
      ...(input.omit ? { omit: input.omit } : {}),
      ...(input.holidays ? { holidays: input.holidays } : {}),
    });
  }
  if (input.holidays === 'major') {
    throw new Error('--holidays major needs the v2 feature pipeline (--features v2)');
  }
  if (input.omit && input.omit.length > 0) {
    throw new Error(`leaving out ${input.omit.join(', ')} needs the v2 feature pipeline (--features v2)`);
  }
  const featureColumns = schema.featureColumns.filter((c) => c !== 'weather_description');
  return fitFeaturePipeline({ rows: input.rows, schema: { ...schema, featureColumns } });
}

export function transformWithPipeline(
  pipeline: AnyFeaturePipeline,
  rows: readonly TrafficRow[],
): TransformedRows {
  if (isV2(pipeline)) return transformRowsV2(pipeline, rows);
  return { matrix: transformRows(pipeline, rows), cleaned: {} };
}

function isV2(pipeline: AnyFeaturePipeline): pipeline is FeaturePipelineV2 {
  return pipeline.version === FEATURE_PIPELINE_V2;
}

/** Validates a stored pipeline of any supported version. */
export function validateAnyFeaturePipeline(json: unknown): AnyFeaturePipeline {
  const version = (json as { version?: unknown } | null)?.version;
  return version === FEATURE_PIPELINE_V2 ? validateFeaturePipelineV2(json) : validateFeaturePipeline(json);
}
