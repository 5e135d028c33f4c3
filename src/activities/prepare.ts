import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { assertBadRowShare, DEFAULT_MAX_BAD_ROW_SHARE } from '../data/bad-row-limit';
import { DatasetError, parseTrafficCsv } from '../data/traffic-csv';
import { EARLY_STOPPING_FRACTION } from '../features/early-stopping-slice';
import { DEFAULT_FEATURE_SET, pipelineVersionOf } from '../features/feature-pipeline';
import { FeatureSelectionError, PreparationError, prepareRows } from '../features/prepare-rows';
import { rowTimesOf } from '../features/row-times';
import { encodePreparedDataset, PREPARED_DATASET_FORMAT_VERSION } from '../features/prepared-dataset';
import { buildReferenceProfile } from '../monitoring/reference-profile';
import type { TrafficRow } from '../contracts/domain';
import { BlobChangedError, type BlobStore } from '../storage/blob-store';
import type { BadRowReport, PrepareDatasetInput, PreparedDatasetSummary, SourceObject } from '../contracts';
import { artifactKeys } from './artifact-keys';
import { nonRetryable } from './errors';
import { appendAll } from '../common/append-all';

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
  for (const [i, source] of sources.entries()) {
    const file = source.object.key;
    Context.current().heartbeat({ step: 'parsing', file });
    const parsed = asNonRetryable(() =>
      parseTrafficCsv({ text: source.bytes.toString('utf8'), file, schema: input.schema }),
    );
    // The parsed rows hold no part of the file's bytes or text: free them before the next file.
    sources[i] = { object: source.object, bytes: Buffer.alloc(0) };
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
    appendAll(rows, parsed.rows);
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

  const features = input.features ?? DEFAULT_FEATURE_SET;
  const prepared = asNonRetryable(() =>
    prepareRows({
      rows,
      validationYear: input.validationYear,
      schema: input.schema,
      features,
      earlyStoppingSlice: input.earlyStoppingSlice,
      ...(input.omitFeatures ? { omit: input.omitFeatures } : {}),
      ...(input.holidays ? { holidays: input.holidays } : {}),
    }),
  );
  const { pipeline, train, validation, earlyStopping: held, cleanedValues } = prepared;
  const summary: PreparedDatasetSummary = {
    datasetRef: artifactKeys.datasetData(hash),
    datasetHash: hash,
    reused: false,
    trainRows: train.rows.length,
    validationRows: validation.rows.length,
    duplicatesRemoved: prepared.duplicatesRemoved,
    badRows,
    featureNames: pipeline.featureNames,
    sourceObjects,
    validationYear: input.validationYear,
    featureSet: features,
    pipelineVersion: pipeline.version,
    ...(held ? { earlyStopping: held.slice } : {}),
    cleanedValues,
    // The training rows and the early-stopping slice are both fitted on (the slice by early stopping).
    fittedThrough: latestDateTime([...train.rows, ...(held ? held.rows : [])]),
    validationPeriod: {
      from: earliestDateTime(validation.rows),
      to: latestDateTime(validation.rows),
      rows: validation.rows.length,
    },
  };
  const encoded = encodePreparedDataset({
    meta: {
      hash,
      featureNames: pipeline.featureNames,
      pipeline,
      trainRows: train.rows.length,
      validationRows: validation.rows.length,
      validationYear: input.validationYear,
      ...(held ? { earlyStopping: held.slice } : {}),
      cleanedValues,
    },
    train: train.x,
    trainLabels: train.y,
    validation: validation.x,
    validationLabels: validation.y,
    ...(held ? { earlyStopping: held.x, earlyStoppingLabels: held.y } : {}),
  });
  // Data and pipeline first, summary last: the summary's presence marks a complete prepared set.
  await deps.artifacts.put(artifactKeys.datasetData(hash), encoded);
  await deps.artifacts.put(artifactKeys.datasetPipeline(hash), JSON.stringify(pipeline));
  // Raw validation rows: a champion is re-scored on them through its own stored pipeline.
  await deps.artifacts.put(artifactKeys.datasetValidationRows(hash), JSON.stringify(validation.rows));
  await deps.artifacts.put(
    artifactKeys.datasetRowTimes(hash),
    JSON.stringify(
      rowTimesOf({ train: train.rows, earlyStopping: held?.rows ?? [], validation: validation.rows }),
    ),
  );
  await deps.artifacts.put(
    artifactKeys.datasetProfile(hash),
    JSON.stringify(buildReferenceProfile({ rows: train.rows })),
  );
  await deps.artifacts.put(artifactKeys.datasetSummary(hash), JSON.stringify(summary, null, 2));
  return summary;
}

/**
 * Reads each year's file once, in one request that also returns its ETag (no HEAD); the lineage and the
 * content address come from these bytes. A file a retraining check inspected is read only while it still has
 * the ETag the check saw, so the set is prepared from the state the check decided on.
 */
async function readSources(
  data: BlobStore,
  input: PrepareDatasetInput,
): Promise<{ object: SourceObject; bytes: Buffer }[]> {
  const expected = new Map((input.expectedObjects ?? []).map((o) => [o.key, o.etag]));
  const sources: { object: SourceObject; bytes: Buffer }[] = [];
  for (const year of [...input.years].sort((a, b) => a - b)) {
    const key = `${input.filePrefix}_${year}.csv`;
    Context.current().heartbeat({ step: 'reading', file: key });
    const ifMatch = expected.get(key);
    let read;
    try {
      read = await data.read(key, { ifMatch });
    } catch (err) {
      if (!(err instanceof BlobChangedError)) throw err;
      throw nonRetryable(
        'DatasetError',
        `${key} changed after the retraining check inspected it (ETag ${ifMatch}); the next check sees the new version`,
      );
    }
    if (!read) throw nonRetryable('DatasetError', `missing data file ${key} in ${input.dataUri}`);
    const { bytes, etag } = read;
    if (bytes.length === 0) throw nonRetryable('DatasetError', `${key}: the file is empty`);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    sources.push({ object: { key, etag, size: bytes.length, sha256 }, bytes });
  }
  return sources;
}

/** A DatasetError (a file that cannot be used) can never succeed on retry. */
function asNonRetryable<T>(step: () => T): T {
  try {
    return step();
  } catch (err) {
    if (err instanceof DatasetError || err instanceof PreparationError) {
      throw nonRetryable('DatasetError', err.message);
    }
    if (err instanceof FeatureSelectionError) throw nonRetryable('InvalidInput', err.message);
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
    'validationYear' | 'schema' | 'features' | 'earlyStoppingSlice' | 'omitFeatures' | 'holidays'
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
    // Likewise only for the major-holiday calendar: `federal` sets keep the address they had.
    ...(input.holidays === 'major' ? { holidays: 'major' } : {}),
  };
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 32);
}

function latestDateTime(rows: readonly TrafficRow[]): string {
  let latest = '';
  for (const r of rows) if (r.date_time.text > latest) latest = r.date_time.text;
  return latest;
}

function earliestDateTime(rows: readonly TrafficRow[]): string {
  let earliest = rows[0].date_time.text;
  for (const r of rows) if (r.date_time.text < earliest) earliest = r.date_time.text;
  return earliest;
}
