import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { assertBadRowShare, DEFAULT_MAX_BAD_ROW_SHARE } from '../ml/bad-row-limit';
import { dedupeRows } from '../ml/dedupe';
import { DatasetError, parseTrafficCsv } from '../ml/traffic-csv';
import {
  EARLY_STOPPING_FRACTION,
  splitEarlyStopping,
  type EarlyStoppingSplit,
} from '../ml/early-stopping-slice';
import {
  DEFAULT_FEATURE_SET,
  fitPipeline,
  pipelineVersionOf,
  transformWithPipeline,
} from '../ml/feature-pipeline';
import { targetVector } from '../ml/features';
import { rowTimesOf } from '../ml/row-times';
import { encodePreparedDataset, PREPARED_DATASET_FORMAT_VERSION } from '../ml/prepared-dataset';
import { splitByYear } from '../ml/split';
import { buildReferenceProfile } from '../monitoring/reference-profile';
import type { TrafficRow } from '../ml/types';
import type { BlobStore } from '../storage/blob-store';
import type {
  BadRowReport,
  PrepareDatasetInput,
  PreparedDatasetSummary,
  SourceObject,
} from '../workflows/types';
import { artifactKeys } from './artifact-keys';
import { nonRetryable } from './errors';

export interface PrepareDeps {
  artifacts: BlobStore;
  openDataStore(uri: string): BlobStore;
}

const BAD_ROW_EXAMPLES = 5;

/** The seed's data_preparation pipeline: read, validate, de-duplicate, split by time, fit features, store. */
export async function prepareDatasetWith(
  deps: PrepareDeps,
  input: PrepareDatasetInput,
): Promise<PreparedDatasetSummary> {
  if (!input.years.includes(input.validationYear)) {
    throw nonRetryable(
      'InvalidInput',
      `validation year ${input.validationYear} is not among the years ${input.years.join(', ')}`,
    );
  }
  if (!input.years.some((y) => y < input.validationYear)) {
    throw nonRetryable('InvalidInput', `no training year before the validation year ${input.validationYear}`);
  }
  const data = deps.openDataStore(input.dataUri);
  const sources = await readSources(data, input);
  const sourceObjects = sources.map((s) => s.object);
  const hash = datasetHash(input, sourceObjects);

  const existing = await deps.artifacts.tryGet(artifactKeys.datasetSummary(hash));
  if (
    existing &&
    (await deps.artifacts.head(artifactKeys.datasetData(hash))) &&
    (await deps.artifacts.head(artifactKeys.datasetValidationRows(hash))) &&
    (await deps.artifacts.head(artifactKeys.datasetRowTimes(hash)))
  ) {
    const summary = JSON.parse(existing.toString('utf8')) as PreparedDatasetSummary;
    return { ...summary, reused: true };
  }

  const maxShare = input.maxBadRowShare ?? DEFAULT_MAX_BAD_ROW_SHARE;
  const rows: TrafficRow[] = [];
  const badRows: BadRowReport[] = [];
  for (const source of sources) {
    const file = source.object.key;
    Context.current().heartbeat({ step: 'parsing', file });
    const parsed = asNonRetryable(() =>
      parseTrafficCsv({ text: source.bytes.toString('utf8'), file, schema: input.schema }),
    );
    if (parsed.rows.length === 0 && parsed.badRowCount > 0) {
      const example = parsed.badRows[0];
      throw nonRetryable(
        'DatasetError',
        `every row of ${file} was malformed: ${parsed.badRowCount.toLocaleString('en-US')} rows, e.g. line ${example.line}: ${example.reason}`,
      );
    }
    asNonRetryable(() =>
      assertBadRowShare({ file, badRows: parsed.badRowCount, records: parsed.recordCount, maxShare }),
    );
    rows.push(...parsed.rows);
    if (parsed.badRowCount > 0) {
      badRows.push({
        file,
        count: parsed.badRowCount,
        examples: parsed.badRows.slice(0, BAD_ROW_EXAMPLES).map((b) => `line ${b.line}: ${b.reason}`),
      });
    }
  }
  for (const report of badRows) {
    Context.current().log.warn('malformed rows skipped', {
      file: report.file,
      count: report.count,
      examples: report.examples,
    });
  }

  const unique = dedupeRows(rows);
  const split = splitByYear({ rows: unique, validationYear: input.validationYear });
  const { validation } = split;
  if (split.train.length === 0 || validation.length === 0) {
    throw nonRetryable(
      'DatasetError',
      `after validation the split is empty: ${split.train.length} training rows, ${validation.length} validation rows (${input.validationYear})`,
    );
  }
  let held: EarlyStoppingSplit | undefined;
  if (input.earlyStoppingSlice !== false) {
    try {
      held = splitEarlyStopping(split.train);
    } catch (err) {
      throw nonRetryable('DatasetError', (err as Error).message);
    }
  }
  const train = held?.train ?? split.train;
  const earlyStopping = held?.earlyStopping ?? [];
  const features = input.features ?? DEFAULT_FEATURE_SET;
  let pipeline;
  try {
    pipeline = fitPipeline({
      features,
      rows: train,
      schema: input.schema,
      ...(input.omitFeatures ? { omit: input.omitFeatures } : {}),
    });
  } catch (err) {
    throw nonRetryable('InvalidInput', (err as Error).message);
  }
  const encodedTrain = transformWithPipeline(pipeline, train);
  const encodedEarlyStopping = transformWithPipeline(pipeline, earlyStopping);
  const encodedValidation = transformWithPipeline(pipeline, validation);
  const cleanedValues: Record<string, number> = {};
  for (const part of [encodedTrain, ...(held ? [encodedEarlyStopping] : []), encodedValidation]) {
    for (const [column, n] of Object.entries(part.cleaned))
      cleanedValues[column] = (cleanedValues[column] ?? 0) + n;
  }
  const summary: PreparedDatasetSummary = {
    datasetRef: artifactKeys.datasetData(hash),
    datasetHash: hash,
    reused: false,
    trainRows: train.length,
    validationRows: validation.length,
    duplicatesRemoved: rows.length - unique.length,
    badRows,
    featureNames: pipeline.featureNames,
    sourceObjects,
    validationYear: input.validationYear,
    featureSet: features,
    pipelineVersion: pipeline.version,
    ...(held ? { earlyStopping: held.slice } : {}),
    cleanedValues,
  };
  const encoded = encodePreparedDataset({
    meta: {
      hash,
      featureNames: pipeline.featureNames,
      pipeline,
      trainRows: train.length,
      validationRows: validation.length,
      validationYear: input.validationYear,
      ...(held ? { earlyStopping: held.slice } : {}),
      cleanedValues,
    },
    train: encodedTrain.matrix,
    trainLabels: targetVector(train, input.schema),
    validation: encodedValidation.matrix,
    validationLabels: targetVector(validation, input.schema),
    ...(held
      ? {
          earlyStopping: encodedEarlyStopping.matrix,
          earlyStoppingLabels: targetVector(earlyStopping, input.schema),
        }
      : {}),
  });
  // Data and pipeline first, summary last: the summary's presence marks a complete prepared set.
  await deps.artifacts.put(artifactKeys.datasetData(hash), encoded);
  await deps.artifacts.put(artifactKeys.datasetPipeline(hash), JSON.stringify(pipeline));
  // Raw validation rows: a champion is re-scored on them through its own stored pipeline.
  await deps.artifacts.put(artifactKeys.datasetValidationRows(hash), JSON.stringify(validation));
  await deps.artifacts.put(
    artifactKeys.datasetRowTimes(hash),
    JSON.stringify(rowTimesOf({ train, earlyStopping, validation })),
  );
  await deps.artifacts.put(
    artifactKeys.datasetProfile(hash),
    JSON.stringify(buildReferenceProfile({ rows: train })),
  );
  await deps.artifacts.put(artifactKeys.datasetSummary(hash), JSON.stringify(summary, null, 2));
  return summary;
}

/** Reads each year's file once; the lineage and the content address come from these bytes, not a listing. */
async function readSources(
  data: BlobStore,
  input: PrepareDatasetInput,
): Promise<{ object: SourceObject; bytes: Buffer }[]> {
  const sources: { object: SourceObject; bytes: Buffer }[] = [];
  for (const year of [...input.years].sort((a, b) => a - b)) {
    const key = `${input.filePrefix}_${year}.csv`;
    Context.current().heartbeat({ step: 'reading', file: key });
    const info = await data.head(key);
    if (!info) throw nonRetryable('DatasetError', `missing data file ${key} in ${input.dataUri}`);
    const bytes = await data.get(key);
    if (bytes.length === 0) throw nonRetryable('DatasetError', `${key}: the file is empty`);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    // The ETag is the one listed before the read; when the object was replaced in between it names another
    // version, so lineage records the size and SHA-256 of what was read.
    sources.push({ object: { key, etag: info.etag, size: bytes.length, sha256 }, bytes });
  }
  return sources;
}

/** A DatasetError (a file that cannot be used) can never succeed on retry. */
function asNonRetryable<T>(step: () => T): T {
  try {
    return step();
  } catch (err) {
    if (err instanceof DatasetError) throw nonRetryable('DatasetError', err.message);
    throw err;
  }
}

/**
 * Content address of a prepared set: the SHA-256 of the bytes read, the split, schema, feature pipeline,
 * prepared-set format and early-stopping slice.
 */
export function datasetHash(
  input: Pick<
    PrepareDatasetInput,
    'validationYear' | 'schema' | 'features' | 'earlyStoppingSlice' | 'omitFeatures'
  >,
  sources: readonly SourceObject[],
): string {
  const identity = {
    sources: sources.map((s) => {
      if (!s.sha256) throw new Error(`no content hash for ${s.key}`);
      return [s.key, s.sha256];
    }),
    validationYear: input.validationYear,
    schema: input.schema,
    pipelineVersion: pipelineVersionOf(input.features ?? DEFAULT_FEATURE_SET),
    format: PREPARED_DATASET_FORMAT_VERSION,
    earlyStoppingFraction: input.earlyStoppingSlice === false ? 0 : EARLY_STOPPING_FRACTION,
    // Only when features are left out, so the sets prepared before ablation existed keep their address.
    ...(input.omitFeatures && input.omitFeatures.length > 0
      ? { omitFeatures: [...new Set(input.omitFeatures)].sort() }
      : {}),
  };
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 32);
}
