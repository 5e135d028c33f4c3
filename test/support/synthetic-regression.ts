import type { DenseMatrix } from '../../src/contracts';
import { createRng } from '../../src/search/search-space';
/** Deterministic synthetic regression data for engine tests and measurement scripts. */

export interface SyntheticRegression {
  x: DenseMatrix;
  y: Float32Array;
}

export interface SyntheticRegressionOptions {
  rows: number;
  cols: number;
  /** Standard deviation of the Gaussian noise added to the target. */
  noise?: number;
  seed?: number;
}

/** Features uniform in [0, 1); the target is a non-linear function of the first features plus noise. */
export function syntheticRegression({
  rows,
  cols,
  noise = 0,
  seed = 1,
}: SyntheticRegressionOptions): SyntheticRegression {
  const rng = createRng(seed);
  const random = () => rng.next();
  const data = new Float32Array(rows * cols);
  const y = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) data[r * cols + c] = random();
    const f = (c: number): number => data[r * cols + (c % cols)];
    const signal = 10 * Math.sin(Math.PI * f(0) * f(1)) + 20 * (f(2) - 0.5) ** 2 + 10 * f(3) + 5 * f(4);
    y[r] = signal + noise * gaussian(random);
  }
  return { x: { data, rows, cols }, y };
}

/** Rows [from, to) of a data set. */
export function sliceRows(set: SyntheticRegression, from: number, to: number): SyntheticRegression {
  const { cols } = set.x;
  return {
    x: { data: set.x.data.slice(from * cols, to * cols), rows: to - from, cols },
    y: set.y.slice(from, to),
  };
}

function gaussian(random: () => number): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
