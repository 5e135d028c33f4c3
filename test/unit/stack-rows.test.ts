import { expect } from 'chai';
import { shareTrialData } from '../../src/engines/trial-pool';
import { stackRows, takeRows, takeValues } from '../../src/features/stack-rows';

describe('stacked and taken rows live in shared memory (the trial pool does not copy them again)', () => {
  const a = {
    x: { data: Float32Array.from([1, 2, 3, 4]), rows: 2, cols: 2 },
    y: Float32Array.from([10, 20]),
  };
  const b = { x: { data: Float32Array.from([5, 6]), rows: 1, cols: 2 }, y: Float32Array.from([30]) };

  it('stacks rows in order, in a SharedArrayBuffer', () => {
    const all = stackRows([a, b]);
    expect(Array.from(all.x.data)).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect(Array.from(all.y)).to.deep.equal([10, 20, 30]);
    expect(all.x.data.buffer).to.be.instanceOf(SharedArrayBuffer);
    expect(all.y.buffer).to.be.instanceOf(SharedArrayBuffer);
  });

  it('takes rows by index, in a SharedArrayBuffer, and the pool passes them on as they are', () => {
    const all = stackRows([a, b]);
    const taken = takeRows(all.x, [2, 0]);
    expect(Array.from(taken.data)).to.deep.equal([5, 6, 1, 2]);
    expect(taken.data.buffer).to.be.instanceOf(SharedArrayBuffer);
    const shared = shareTrialData({
      train: taken,
      trainLabels: all.y,
      validation: all.x,
      validationLabels: all.y,
    });
    expect(shared.train.data).to.equal(taken.data);
    expect(shared.validation.data).to.equal(all.x.data);
  });

  it('takes consecutive rows of shared rows as a view, not a copy; labels likewise', () => {
    const all = stackRows([a, b, a]);
    const taken = takeRows(all.x, [1, 2, 3]);
    expect(Array.from(taken.data)).to.deep.equal([3, 4, 5, 6, 1, 2]);
    expect(taken.rows).to.equal(3);
    expect(taken.data.buffer).to.equal(all.x.data.buffer);
    expect(taken.data.byteOffset).to.equal(2 * Float32Array.BYTES_PER_ELEMENT);
    const labels = takeValues(all.y, [1, 2, 3]);
    expect(Array.from(labels)).to.deep.equal([20, 30, 10]);
    expect(labels.buffer).to.equal(all.y.buffer);
    const shuffled = takeValues(all.y, [3, 1]);
    expect(Array.from(shuffled)).to.deep.equal([10, 20]);
    expect(shuffled.buffer).to.not.equal(all.y.buffer);
    expect(shuffled.buffer).to.be.instanceOf(SharedArrayBuffer);
    const plain = takeRows(a.x, [1]);
    expect(plain.data.buffer, 'rows of a plain array are copied into shared memory').to.be.instanceOf(
      SharedArrayBuffer,
    );
  });
});
