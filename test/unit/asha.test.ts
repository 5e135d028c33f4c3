import { expect } from 'chai';
import { DEFAULT_ASHA, LEGACY_ASHA, rungCutoffs, rungRounds, stopsAtRung } from '../../src/search/asha';

describe('ASHA rung arithmetic', () => {
  it('puts rungs at r·η^k rounds below the maximum', () => {
    expect(rungRounds(DEFAULT_ASHA)).to.deep.equal([20, 80, 320]);
    expect(rungRounds(LEGACY_ASHA)).to.deep.equal([25, 75, 225, 675]);
    expect(rungRounds({ minRounds: 10, eta: 2, maxRounds: 100 })).to.deep.equal([10, 20, 40, 80]);
    expect(() => rungRounds({ minRounds: 0, eta: 3, maxRounds: 100 })).to.throw(/minRounds/);
    expect(() => rungRounds({ minRounds: 5, eta: 1, maxRounds: 100 })).to.throw(/eta/);
  });

  it('cuts at the ⌊n/η⌋-th best score of the trials that reached each rung', () => {
    const settings = { minRounds: 10, eta: 3, maxRounds: 100 };
    // Rungs 10, 30, 90. Six trials reached rung 0, three rung 1, two rung 2.
    const scores = [[5, 4, 3], [9, 8, 7], [1, 0.5], [7], [6], [2, 1.5, 1]];
    const { rounds, cutoffs } = rungCutoffs(settings, scores);
    expect(rounds).to.deep.equal([10, 30, 90]);
    // Rung 0 sorted: 1 2 5 6 7 9 → keep ⌊6/3⌋ = 2 → cut-off 2. Rung 1: 0.5 1.5 4 8 → keep 1 → 0.5.
    // Rung 2: 1 3 7 → keep 1 → 1.
    expect(cutoffs).to.deep.equal([2, 0.5, 1]);
    expect(stopsAtRung({ rounds, cutoffs }, 0, 2)).to.equal(false);
    expect(stopsAtRung({ rounds, cutoffs }, 0, 2.01)).to.equal(true);
    expect(stopsAtRung({ rounds, cutoffs }, 0, Number.NaN)).to.equal(true);
  });

  it('has no cut-off while fewer than η trials reached a rung', () => {
    const { cutoffs } = rungCutoffs({ minRounds: 10, eta: 3, maxRounds: 100 }, [[1, 1], [2]]);
    expect(cutoffs).to.deep.equal([null, null, null]);
    expect(stopsAtRung({ rounds: [10, 30, 90], cutoffs }, 0, 1e9)).to.equal(false);
  });

  it('with minTrialsAtRung, cuts a rung only once that many trials reached it', () => {
    const settings = { minRounds: 10, eta: 3, maxRounds: 100, minTrialsAtRung: 5 };
    // Rung 0 reached by 4 trials: no cut yet although ⌊4/3⌋ = 1.
    expect(rungCutoffs(settings, [[4], [3], [2, 1], [5]]).cutoffs).to.deep.equal([null, null, null]);
    // A fifth trial: rung 0 cuts at the ⌊5/3⌋ = 1st best; rung 1 (one trial) still does not.
    expect(rungCutoffs(settings, [[4], [3], [2, 1], [5], [6]]).cutoffs).to.deep.equal([2, null, null]);
    // Below η it changes nothing: ASHA's own rule already waits for η trials.
    const early = { minRounds: 10, eta: 3, maxRounds: 100, minTrialsAtRung: 2 };
    expect(rungCutoffs(early, [[1], [2]]).cutoffs).to.deep.equal([null, null, null]);
  });

  it("with keep 'ceil', keeps the ⌈n/η⌉ best once η trials reached a rung", () => {
    const settings = { minRounds: 10, eta: 3, maxRounds: 100, keep: 'ceil' as const };
    // Two trials: below η, no cut (⌈2/3⌉ would be 1).
    expect(rungCutoffs(settings, [[4], [3]]).cutoffs).to.deep.equal([null, null, null]);
    // Four trials: ⌈4/3⌉ = 2 → the 2nd best (floor would keep 1: the best).
    expect(rungCutoffs(settings, [[4], [3], [2], [5]]).cutoffs).to.deep.equal([3, null, null]);
    expect(rungCutoffs({ ...settings, keep: 'floor' }, [[4], [3], [2], [5]]).cutoffs).to.deep.equal([
      2,
      null,
      null,
    ]);
  });
});
