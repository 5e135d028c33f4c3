/** A seeded pseudo-random generator: the search, the synthetic data and the bootstrap draw from it. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Internal state; `createRng(rng.state())` continues the same sequence. */
  state(): number;
}

/** mulberry32: 32-bit state, good enough statistical quality for random search, trivially serialisable. */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new Error(`rng seed must be a finite number, got ${seed}`);
  let a = seed >>> 0;
  return {
    next(): number {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
    state: () => a,
  };
}
