import { expect } from 'chai';
import { assertBadRowShare, parseBadRowShare } from '../../src/ml/bad-row-limit';

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
    expect(parseBadRowShare('0.05', 'x')).to.equal(0.05);
    expect(parseBadRowShare('2.5%', 'x')).to.equal(0.025);
    expect(() => parseBadRowShare('lots', 'MAX_BAD_ROWS')).to.throw('MAX_BAD_ROWS must be');
    expect(() => parseBadRowShare('150%', '--max-bad-rows')).to.throw('--max-bad-rows must be');
  });
});
