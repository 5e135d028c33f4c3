import { expect } from 'chai';
import { meanAbsShapIntervals } from '../../src/evaluation/shap-precision';
import { hourByWorkingDay, shapSampleRows, stratifiedShapSampleRows } from '../../src/evaluation/shap-sample';

/** A deterministic pseudo-random stream (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` rows × 2 columns: "hour" depends on a 24-row cycle, "noise" is independent of it. */
function population(n: number, seed = 1) {
  const next = random(seed);
  const contributions = new Float64Array(n * 2);
  const strata: number[] = [];
  for (let i = 0; i < n; i++) {
    const hour = i % 24;
    strata.push(hour);
    contributions[i * 2] = 300 * Math.sin((hour / 24) * 2 * Math.PI) + 20 * (next() - 0.5);
    contributions[i * 2 + 1] = 100 * (next() - 0.5) * (1 + (i % 7));
  }
  return { columns: ['hour', 'noise'], rows: n, contributions, strata };
}

function take(p: ReturnType<typeof population>, rows: number[]) {
  const contributions = new Float64Array(rows.length * 2);
  rows.forEach((r, i) => contributions.set(p.contributions.subarray(r * 2, r * 2 + 2), i * 2));
  return { columns: p.columns, rows: rows.length, contributions };
}

function exactMeans(p: ReturnType<typeof population>): Map<string, number> {
  const sums = [0, 0];
  for (let i = 0; i < p.contributions.length; i++) sums[i % 2] += Math.abs(p.contributions[i]);
  return new Map(p.columns.map((c, j) => [c, sums[j] / p.rows]));
}

describe('SHAP sample precision: mean |SHAP| with a 95 % interval', () => {
  const p = population(8_760);
  const exact = exactMeans(p);

  it('is exact, with no width, when the sample is every row (plain and stratified)', () => {
    const plain = meanAbsShapIntervals(p, p.rows);
    const all = stratifiedShapSampleRows(p.strata, Number.POSITIVE_INFINITY);
    const stratified = meanAbsShapIntervals(take(p, all.rows), p.rows, all);
    for (const estimates of [plain, stratified])
      for (const m of estimates) {
        expect(m.value).to.be.closeTo(exact.get(m.column)!, 1e-9);
        expect(m.high - m.low).to.be.closeTo(0, 1e-9);
      }
    expect(plain.map((m) => m.column)).to.deep.equal(
      ['hour', 'noise'].sort((a, b) => exact.get(b)! - exact.get(a)!),
    );
  });

  it('covers the all-rows value about 95 % of the time over shifted samples, and narrows as rows grow', () => {
    for (const design of ['even', 'stratified'] as const) {
      let covered = 0;
      let cells = 0;
      const widths: number[] = [];
      for (const size of [100, 400, 1_600]) {
        let width = 0;
        for (let j = 0; j < 40; j++) {
          const offset = j / 40;
          const drawn =
            design === 'even'
              ? { rows: shapSampleRows(p.rows, size, offset), design: undefined }
              : (() => {
                  const s = stratifiedShapSampleRows(p.strata, size, offset);
                  return { rows: s.rows, design: s };
                })();
          expect(drawn.rows).to.have.length(size);
          for (const m of meanAbsShapIntervals(take(p, drawn.rows), p.rows, drawn.design)) {
            const truth = exact.get(m.column)!;
            cells++;
            if (m.low <= truth && truth <= m.high) covered++;
            width += (m.high - m.low) / truth;
          }
        }
        widths.push(width);
      }
      expect(covered / cells, design).to.be.within(0.85, 1);
      expect(widths[1], design).to.be.lessThan(widths[0]);
      expect(widths[2], design).to.be.lessThan(widths[1]);
    }
  });

  it('weights strata by their share of all rows', () => {
    // Two strata: 90 rows of |SHAP| 1 and 10 of 11; a sample of 2 from each has a plain mean of 6, but all rows' is 2.
    const contributions = [...Array(90).fill(1), ...Array(10).fill(-11)];
    const strata = [...Array(90).fill(0), ...Array(10).fill(1)];
    const rows = [0, 50, 90, 95];
    const [m] = meanAbsShapIntervals(
      { columns: ['x'], rows: 4, contributions: rows.map((r) => contributions[r]) },
      100,
      {
        strata: rows.map((r) => strata[r]),
        stratumSizes: new Map([
          [0, 90],
          [1, 10],
        ]),
      },
    );
    expect(m.value).to.be.closeTo(2, 1e-12);
    expect(m.high - m.low).to.be.closeTo(0, 1e-12); // no variance within either stratum
  });

  it('draws the stratified sample in proportion, evenly within strata, and says when it cannot', () => {
    const s = stratifiedShapSampleRows(p.strata, 240);
    expect(s.rows).to.have.length(240);
    for (let h = 0; h < 24; h++) expect(s.strata.filter((x) => x === h)).to.have.length(10);
    expect(s.rows).to.deep.equal([...s.rows].sort((a, b) => a - b));
    // Too few rows for every stratum: the plain even spread, as one stratum.
    const few = stratifiedShapSampleRows(p.strata, 10);
    expect(few.rows).to.deep.equal(shapSampleRows(p.rows, 10));
    expect([...few.stratumSizes]).to.deep.equal([[0, p.rows]]);
    expect(() => meanAbsShapIntervals(take(p, [0, 1]), 1)).to.throw(RangeError);
  });

  it('puts weekends and federal holidays apart from working days', () => {
    expect(hourByWorkingDay({ year: 2016, month: 3, day: 2, hour: 8 })).to.equal(8); // a Wednesday
    expect(hourByWorkingDay({ year: 2016, month: 3, day: 5, hour: 8 })).to.equal(32); // a Saturday
    expect(hourByWorkingDay({ year: 2016, month: 7, day: 4, hour: 17 })).to.equal(41); // Independence Day, a Monday
  });
});
