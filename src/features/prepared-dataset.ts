/**
 * Binary form of a prepared data set (features + labels for train and validation), stored once per
 * content hash and loaded by every trial.
 *
 * Layout, all little-endian:
 *   0  "TVPD"            magic
 *   4  uint32            format version
 *   8  uint32            header byte length (a multiple of 4: JSON padded with spaces)
 *   12 header JSON       { meta, shapes }
 *   …  float32 bodies    train, trainLabels, validation, validationLabels (row-major, back to back),
 *                        then (format 2) earlyStopping, earlyStoppingLabels
 *
 * Format 2 adds the early-stopping slice; format 1 sets (without it) stay readable.
 */
import { z } from 'zod';
import type { DenseMatrix } from '../contracts/domain';
import { validateAnyFeaturePipeline, type AnyFeaturePipeline } from './feature-pipeline';
import type { EarlyStoppingSlice } from '../contracts/dataset';

export const PREPARED_DATASET_FORMAT_VERSION = 2;
const READABLE_FORMATS = [1, 2];
const MAGIC = 'TVPD';
const PREAMBLE_BYTES = 12;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export interface PreparedSource {
  file: string;
  rows: number;
  badRowCount: number;
}

export interface PreparedDatasetMeta {
  /** Content hash identifying this prepared set (computed by the caller, e.g. over inputs and pipeline version). */
  hash: string;
  featureNames: string[];
  pipeline: AnyFeaturePipeline;
  trainRows: number;
  validationRows: number;
  validationYear: number;
  trainYears?: number[];
  sources?: PreparedSource[];
  duplicatesRemoved?: number;
  badRowCount?: number;
  /** The time-ordered slice of the training years that early stopping watches (format 2). */
  earlyStopping?: EarlyStoppingSlice;
  /** Impossible values replaced by missing, per raw column (feature pipeline v2). */
  cleanedValues?: Record<string, number>;
}

/** The matrices and labels a trial trains and scores on. */
export interface TrialMatrices {
  train: DenseMatrix;
  trainLabels: Float32Array;
  /** Per-row training weights (recency); absent: equal weights. */
  trainWeights?: Float32Array;
  /** Scores the trial (selection); early stopping watches it only when there is no early-stopping slice. */
  validation: DenseMatrix;
  validationLabels: Float32Array;
  /** Format 2: rows held out of `train` for early stopping only; absent in format 1 sets. */
  earlyStopping?: DenseMatrix;
  earlyStoppingLabels?: Float32Array;
}

export interface PreparedDataset extends TrialMatrices {
  meta: PreparedDatasetMeta;
}

export interface DecodeOptions {
  /** Put the float arrays in one SharedArrayBuffer, so worker threads can read them without copying. */
  shared?: boolean;
}

export class PreparedDatasetFormatError extends Error {
  constructor(problem: string) {
    super(`invalid prepared data set: ${problem}`);
    this.name = 'PreparedDatasetFormatError';
  }
}

const count = z.number().int().nonnegative();
const metaSchema = z.looseObject({
  hash: z.string().min(1),
  featureNames: z.array(z.string()).min(1),
  pipeline: z.unknown(),
  trainRows: count,
  validationRows: count,
  validationYear: z.number().int(),
  trainYears: z.array(z.number().int()).optional(),
  sources: z.array(z.object({ file: z.string(), rows: count, badRowCount: count })).optional(),
  duplicatesRemoved: count.optional(),
  badRowCount: count.optional(),
  earlyStopping: z.object({ from: z.string(), to: z.string(), rows: count }).optional(),
  cleanedValues: z.record(z.string(), count).optional(),
});
const shapeSchema = z.object({ rows: count, cols: count });
const headerSchema = z.object({
  meta: metaSchema,
  shapes: z.object({ train: shapeSchema, validation: shapeSchema, earlyStopping: shapeSchema.optional() }),
  bodyBytes: count,
});

function checkShapes(d: PreparedDataset): void {
  const { meta, train, validation } = d;
  const problems: string[] = [];
  if (train.data.length !== train.rows * train.cols) problems.push('train data length != rows × cols');
  if (validation.data.length !== validation.rows * validation.cols)
    problems.push('validation data length != rows × cols');
  if (train.cols !== validation.cols)
    problems.push(`train has ${train.cols} columns, validation ${validation.cols}`);
  if (train.cols !== meta.featureNames.length)
    problems.push(`${train.cols} columns but ${meta.featureNames.length} feature names`);
  if (d.trainLabels.length !== train.rows) problems.push('trainLabels length != train rows');
  if (d.validationLabels.length !== validation.rows)
    problems.push('validationLabels length != validation rows');
  const es = d.earlyStopping;
  if ((es === undefined) !== (d.earlyStoppingLabels === undefined))
    problems.push('earlyStopping and earlyStoppingLabels must be given together');
  if (es !== undefined) {
    if (es.data.length !== es.rows * es.cols) problems.push('earlyStopping data length != rows × cols');
    if (es.cols !== train.cols) problems.push(`train has ${train.cols} columns, earlyStopping ${es.cols}`);
    if (d.earlyStoppingLabels?.length !== es.rows) problems.push('earlyStoppingLabels length != rows');
    if (meta.earlyStopping?.rows !== es.rows)
      problems.push('meta.earlyStopping.rows differs from the matrix');
  }
  if (meta.trainRows !== train.rows || meta.validationRows !== validation.rows)
    problems.push('meta row counts differ from the matrices');
  const pipelineNames = meta.pipeline.featureNames;
  if (
    pipelineNames.length !== meta.featureNames.length ||
    pipelineNames.some((n, i) => n !== meta.featureNames[i])
  ) {
    problems.push('meta.featureNames differ from the pipeline feature names');
  }
  if (problems.length > 0) throw new PreparedDatasetFormatError(problems.join('; '));
}

function writeFloats(target: Buffer, offset: number, values: Float32Array): number {
  if (LITTLE_ENDIAN) {
    target.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), offset);
  } else {
    for (let i = 0; i < values.length; i++) target.writeFloatLE(values[i], offset + i * 4);
  }
  return offset + values.byteLength;
}

export function encodePreparedDataset(dataset: PreparedDataset): Buffer {
  checkShapes(dataset);
  const arrays = [dataset.train.data, dataset.trainLabels, dataset.validation.data, dataset.validationLabels];
  const es = dataset.earlyStopping;
  if (es !== undefined) arrays.push(es.data, dataset.earlyStoppingLabels as Float32Array);
  const bodyBytes = arrays.reduce((sum, a) => sum + a.byteLength, 0);
  const header = {
    meta: dataset.meta,
    shapes: {
      train: { rows: dataset.train.rows, cols: dataset.train.cols },
      validation: { rows: dataset.validation.rows, cols: dataset.validation.cols },
      ...(es === undefined ? {} : { earlyStopping: { rows: es.rows, cols: es.cols } }),
    },
    bodyBytes,
  };
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const padding = (4 - (json.length % 4)) % 4;
  if (padding > 0) json = Buffer.concat([json, Buffer.alloc(padding, 0x20)]);
  const out = Buffer.alloc(PREAMBLE_BYTES + json.length + bodyBytes);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(es === undefined ? 1 : PREPARED_DATASET_FORMAT_VERSION, 4);
  out.writeUInt32LE(json.length, 8);
  json.copy(out, PREAMBLE_BYTES);
  let offset = PREAMBLE_BYTES + json.length;
  for (const a of arrays) offset = writeFloats(out, offset, a);
  return out;
}

interface Header {
  meta: PreparedDatasetMeta;
  shapes: {
    train: { rows: number; cols: number };
    validation: { rows: number; cols: number };
    earlyStopping?: { rows: number; cols: number };
  };
  bodyBytes: number;
  bodyOffset: number;
}

function readHeader(buffer: Uint8Array): Header {
  const bytes = Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  if (bytes.length < PREAMBLE_BYTES || bytes.toString('latin1', 0, 4) !== MAGIC) {
    throw new PreparedDatasetFormatError('not a prepared data set (bad magic)');
  }
  const version = bytes.readUInt32LE(4);
  if (!READABLE_FORMATS.includes(version)) {
    throw new PreparedDatasetFormatError(
      `format version ${version}, expected one of ${READABLE_FORMATS.join(', ')}`,
    );
  }
  const headerBytes = bytes.readUInt32LE(8);
  if (headerBytes % 4 !== 0 || PREAMBLE_BYTES + headerBytes > bytes.length) {
    throw new PreparedDatasetFormatError(
      `header length ${headerBytes} does not fit a ${bytes.length}-byte buffer`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8', PREAMBLE_BYTES, PREAMBLE_BYTES + headerBytes));
  } catch (error) {
    throw new PreparedDatasetFormatError(`header is not JSON (${(error as Error).message})`);
  }
  const parsed = headerSchema.safeParse(json);
  if (!parsed.success) throw new PreparedDatasetFormatError(`header: ${z.prettifyError(parsed.error)}`);
  let pipeline: AnyFeaturePipeline;
  try {
    pipeline = validateAnyFeaturePipeline(parsed.data.meta.pipeline);
  } catch (error) {
    throw new PreparedDatasetFormatError((error as Error).message);
  }
  const { train, validation, earlyStopping } = parsed.data.shapes;
  if ((version === 2) !== (earlyStopping !== undefined)) {
    throw new PreparedDatasetFormatError(
      `format ${version} ${version === 2 ? 'needs' : 'has no'} an early-stopping slice`,
    );
  }
  const esValues = earlyStopping === undefined ? 0 : earlyStopping.rows * (earlyStopping.cols + 1);
  const expectedBody =
    4 *
    (train.rows * train.cols + train.rows + validation.rows * validation.cols + validation.rows + esValues);
  const bodyOffset = PREAMBLE_BYTES + headerBytes;
  if (parsed.data.bodyBytes !== expectedBody || bytes.length - bodyOffset !== expectedBody) {
    throw new PreparedDatasetFormatError(
      `body is ${bytes.length - bodyOffset} bytes, header declares ${parsed.data.bodyBytes}, shapes need ${expectedBody}`,
    );
  }
  return { ...parsed.data, meta: { ...parsed.data.meta, pipeline } as PreparedDatasetMeta, bodyOffset };
}

/** Reads only the header (cheap): for callers that need the meta data but not the matrices. */
export function readPreparedDatasetMeta(buffer: Uint8Array): PreparedDatasetMeta {
  return readHeader(buffer).meta;
}

/** Decodes and validates; the float arrays are always copies (never views of `buffer`). */
export function decodePreparedDataset(buffer: Uint8Array, options: DecodeOptions = {}): PreparedDataset {
  const header = readHeader(buffer);
  const storage: ArrayBufferLike = options.shared
    ? new SharedArrayBuffer(header.bodyBytes)
    : new ArrayBuffer(header.bodyBytes);
  const body = new Uint8Array(storage);
  body.set(buffer.subarray(header.bodyOffset, header.bodyOffset + header.bodyBytes));
  let offset = 0;
  const take = (length: number): Float32Array => {
    const view = new Float32Array(storage, offset, length);
    if (!LITTLE_ENDIAN) {
      const dv = new DataView(storage, offset, length * 4);
      for (let i = 0; i < length; i++) view[i] = dv.getFloat32(i * 4, true);
    }
    offset += length * 4;
    return view;
  };
  const { train: ts, validation: vs, earlyStopping: es } = header.shapes;
  const dataset: PreparedDataset = {
    meta: header.meta,
    train: { rows: ts.rows, cols: ts.cols, data: take(ts.rows * ts.cols) },
    trainLabels: take(ts.rows),
    validation: { rows: vs.rows, cols: vs.cols, data: take(vs.rows * vs.cols) },
    validationLabels: take(vs.rows),
  };
  if (es !== undefined) {
    dataset.earlyStopping = { rows: es.rows, cols: es.cols, data: take(es.rows * es.cols) };
    dataset.earlyStoppingLabels = take(es.rows);
  }
  checkShapes(dataset);
  return dataset;
}
