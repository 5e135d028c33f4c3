/**
 * The prepared matrices as files for Python: float32 little-endian, row-major `train_x.f32`, `train_y.f32`,
 * `validation_x.f32`, `validation_y.f32` and `meta.json` ({trainRows, validationRows, cols, ...meta}).
 * Read by scripts/python-trial-timing.py and scripts/bench/python_tuners.py.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { SharedTrialData } from '../../src/engines/trial-pool';

export function writeTrialMatrices(
  directory: string,
  data: SharedTrialData,
  meta: Record<string, unknown> = {},
): void {
  fs.mkdirSync(directory, { recursive: true });
  const write = (name: string, array: Float32Array): void =>
    fs.writeFileSync(
      path.join(directory, name),
      new Uint8Array(array.buffer, array.byteOffset, array.byteLength),
    );
  write('train_x.f32', data.train.data);
  write('train_y.f32', data.trainLabels);
  write('validation_x.f32', data.validation.data);
  write('validation_y.f32', data.validationLabels);
  fs.writeFileSync(
    path.join(directory, 'meta.json'),
    JSON.stringify({
      trainRows: data.train.rows,
      validationRows: data.validation.rows,
      cols: data.train.cols,
      ...meta,
    }),
  );
}
