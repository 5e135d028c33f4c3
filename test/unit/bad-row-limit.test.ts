import { expect } from 'chai';
import { assertBadRowShare } from '../../src/data/bad-row-limit';
import { namedShare } from '../../src/runtime/arguments';

describe('bad-row share limit', () => {
  it('passes at or below the limit and fails above it naming the file and the count', () => {
    expect(() =>
      assertBadRowShare({ file: 'f.csv', badRows: 1, records: 100, maxShare: 0.01 }),
    ).to.not.throw();
    expect(() => assertBadRowShare({ file: 'f.csv', badRows: 0, records: 0, maxShare: 0 })).to.not.throw();
    expect(() => assertBadRowShare({ file: 'f.csv', badRows: 2, records: 100, maxShare: 0.01 })).to.throw(
      'f.csv: 2 of 100 rows are malformed (2 %), above the limit of 1 %',
    );
  });

  it('parses shares and percentages and rejects anything else', () => {
    expect(namedShare('0.05', 'x')).to.equal(0.05);
    expect(namedShare('2.5%', 'x')).to.equal(0.025);
    expect(() => namedShare('lots', 'MAX_BAD_ROWS')).to.throw('MAX_BAD_ROWS must be');
    expect(() => namedShare('150%', '--max-bad-rows')).to.throw('--max-bad-rows must be');
  });
});
