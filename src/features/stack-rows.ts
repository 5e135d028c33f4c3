import type { DenseMatrix } from '../contracts/domain';
import type { PreparedDataset } from './prepared-dataset';

/**
 * A Float32Array in a SharedArrayBuffer: rows built here go to the trial pool's threads as they are (the pool
 * copies any other array into shared memory first, a second copy of a matrix that can be hundreds of MB).
 */
function sharedFloat32(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(length * Float32Array.BYTES_PER_ELEMENT));
}

/** Rows of several matrices (same columns) and their labels, one after the other (in shared memory). */
export function stackRows(parts: readonly { x: DenseMatrix; y: Float32Array }[]): {
  x: DenseMatrix;
  y: Float32Array;
} {
  if (parts.length === 0) throw new RangeError('nothing to stack');
  const cols = parts[0].x.cols;
  const rows = parts.reduce((sum, p) => sum + p.x.rows, 0);
  const data = sharedFloat32(rows * cols);
  const y = sharedFloat32(rows);
  let at = 0;
  for (const { x, y: labels } of parts) {
    if (x.cols !== cols) throw new RangeError(`cannot stack ${x.cols} columns onto ${cols}`);
    if (labels.length !== x.rows) throw new RangeError(`${labels.length} labels for ${x.rows} rows`);
    data.set(x.data, at * cols);
    y.set(labels, at);
    at += x.rows;
  }
  return { x: { data, rows, cols }, y };
}

/** True when `indices` are one run of consecutive rows (then a view can stand for them). */
function consecutive(indices: readonly number[]): boolean {
  return indices.every((r, i) => r === indices[0] + i);
}

/**
 * The rows of `x` at `indices`, in that order, in shared memory: a view into `x` when they are consecutive rows of a
 * shared `x` (the one-year-ahead years of time-ordered rows are), else a copy.
 */
export function takeRows(x: DenseMatrix, indices: readonly number[]): DenseMatrix {
  if (indices.length > 0 && consecutive(indices)) {
    if (indices.length === x.rows) return x;
    if (x.data.buffer instanceof SharedArrayBuffer) {
      const from = indices[0] * x.cols;
      return {
        rows: indices.length,
        cols: x.cols,
        data: x.data.subarray(from, from + indices.length * x.cols),
      };
    }
  }
  const data = sharedFloat32(indices.length * x.cols);
  for (const [i, r] of indices.entries()) data.set(x.data.subarray(r * x.cols, (r + 1) * x.cols), i * x.cols);
  return { rows: indices.length, cols: x.cols, data };
}

/** The values of `y` at `indices` (labels of takeRows' rows), a view or a shared copy as takeRows makes. */
export function takeValues(y: Float32Array, indices: readonly number[]): Float32Array {
  return takeRows({ rows: y.length, cols: 1, data: y }, indices).data;
}

// The training, early-stopping and validation rows stacked once per prepared set (the cache keeps one object per
// hash), so the refits and one-year-ahead trainings run in one process at once share one copy.
const stacked = new WeakMap<PreparedDataset, ReturnType<typeof stackRows>>();

/** The training, early-stopping and validation rows of a prepared set, in that order. */
export function allRows(d: PreparedDataset): ReturnType<typeof stackRows> {
  let rows = stacked.get(d);
  if (!rows) {
    const parts = [{ x: d.train, y: d.trainLabels }];
    if (d.earlyStopping && d.earlyStoppingLabels)
      parts.push({ x: d.earlyStopping, y: d.earlyStoppingLabels });
    parts.push({ x: d.validation, y: d.validationLabels });
    rows = stackRows(parts);
    stacked.set(d, rows);
  }
  return rows;
}
