import { expect } from 'chai';
import { appendAll } from '../../src/common/append-all';

describe('appendAll', () => {
  it('appends a year of 100× data (a million rows) where push(...rows) overflows the stack', () => {
    const rows = Array.from({ length: 1_000_000 }, (_, i) => i);
    expect(() => [0].push(...rows)).to.throw(RangeError);
    const target = [-1];
    expect(appendAll(target, rows)).to.equal(target);
    expect(target).to.have.length(1_000_001);
    expect(target[1_000_000]).to.equal(999_999);
  });
});
