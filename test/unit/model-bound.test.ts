import { expect } from 'chai';
import { modelStoreBound, mustStoreModel } from '../../src/search/model-bound';
import { createRng } from '../../src/search/search-space';

describe('model-store bound (store a trial model only when it can still reach the top N)', () => {
  it('is the N-th best known loss, and stores everything while fewer than N are known', () => {
    expect(modelStoreBound([5, 1, 3], 2)).to.equal(3);
    expect(modelStoreBound([5], 2)).to.equal(undefined);
    expect(mustStoreModel(3, 3)).to.equal(true);
    expect(mustStoreModel(3.01, 3)).to.equal(false);
    expect(mustStoreModel(1e9, undefined)).to.equal(true);
  });

  it('never drops a model of the final top N, whatever the finishing order, ties and known subset', () => {
    const rng = createRng(2024);
    for (let search = 0; search < 2000; search++) {
      const trials = 1 + Math.floor(rng.next() * 40);
      const top = 1 + Math.floor(rng.next() * 5);
      // Coarse losses make ties common.
      const loss = Array.from({ length: trials }, () => Math.floor(rng.next() * 8));
      const finishOrder = Array.from({ length: trials }, (_, i) => i).sort(() => rng.next() - 0.5);
      const finished: number[] = [];
      const stored = new Set<number>();
      const board: number[] = [];
      for (const t of finishOrder) {
        // The bound is fixed when the trial starts, from any subset of the trials finished by then.
        const known = finished.filter(() => rng.next() < 0.7).map((f) => loss[f]);
        if (mustStoreModel(loss[t], modelStoreBound(known, top))) stored.add(t);
        finished.push(t);
        // The search's leaderboard: sorted by loss, ties in finishing order.
        const at = board.findIndex((b) => loss[b] > loss[t]);
        board.splice(at === -1 ? board.length : at, 0, t);
      }
      for (const t of board.slice(0, top))
        expect(stored.has(t), `search ${search}, trial ${t}`).to.equal(true);
    }
  });
});
