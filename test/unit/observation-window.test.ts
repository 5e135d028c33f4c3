import { expect } from 'chai';
import { compactObservations } from '../../src/search/observation-window';
import type { Observation } from '../../src/search/sampler';
import { createRng, trialParams } from '../../src/search/search-space';

function observations(n: number, seed: number): Observation[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, index) => ({
    index,
    params: trialParams(seed, index),
    loss: Math.floor(rng.next() * 50),
  }));
}

describe('observation window (what a sampler sees in a long search)', () => {
  const window = { best: 5, recent: 4 };

  it('keeps everything while small, then the best and the most recent, sorted by index', () => {
    const small = observations(9, 1);
    expect(compactObservations(small, window)).to.deep.equal(small);
    const all = observations(30, 2);
    const kept = compactObservations(all, window);
    expect(kept).to.have.length(9);
    expect(kept.slice(-4)).to.deep.equal(all.slice(-4));
    const older = all.slice(0, -4).sort((a, b) => a.loss - b.loss || a.index - b.index);
    expect(kept.slice(0, 5).map((o) => o.index)).to.deep.equal(
      older
        .slice(0, 5)
        .map((o) => o.index)
        .sort((a, b) => a - b),
    );
  });

  it('gives the same view whether compacted once or at every step (so continue-as-new changes nothing)', () => {
    const all = observations(200, 3);
    let carried: Observation[] = [];
    for (let i = 0; i < all.length; i += 7) {
      carried = compactObservations([...carried, ...all.slice(i, i + 7)], window);
      expect(carried).to.deep.equal(compactObservations(all.slice(0, i + 7), window));
    }
  });
});
