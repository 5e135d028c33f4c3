import type { RungCutoffs } from '../contracts/search';
/**
 * Asynchronous successive halving (Li et al., MLSys 2020) on boosting rounds, as pure rung arithmetic.
 * Imported by Temporal workflow code: keep it pure, deterministic and free of runtime imports.
 *
 * Rungs sit at r·η^k rounds. A trial's score at a rung is the best validation RMSE it reached within
 * that many rounds. A trial stops at a rung when its score is worse than the cut-off: the ⌊n/η⌋-th best
 * score of the n earlier trials that reached the rung (no cut-off while ⌊n/η⌋ = 0). The cut-offs are
 * fixed when the trial starts, so a trial's fate depends only on the trials its caller chose to show it.
 */

export interface AshaSettings {
  /** r: rounds of the first rung. */
  minRounds: number;
  /** η: the reduction factor; the top 1/η of a rung go on. */
  eta: number;
  /** No rung at or above this many rounds (a trial that long has finished anyway). */
  maxRounds: number;
  /** No cut-off at a rung until this many earlier trials reached it (absent: η, ASHA's own rule). */
  minTrialsAtRung?: number;
  /** 'ceil': keep the ⌈n/η⌉ best once η trials reached a rung, not ⌊n/η⌋ (absent: 'floor'). */
  keep?: 'floor' | 'ceil';
}

/**
 * Rungs for the seed's space (n_estimators reaches 1000): 20, 80 and 320 rounds, the top quarter goes on.
 * Chosen by `npm run bench:search` (README, "Search quality"): on the real data, at 100 trials it trains
 * 48 % of the rounds of TPE without pruning with a median best RMSE 0.38 % above it (25/75/225/675, η = 3:
 * 56 %, +0.33 %); at 30 trials 39 % of the rounds but 1.4 % above (η = 3: 46 %, +0.53 %). More
 * placements, rules and seeds 5–9 (docs/performance.md, "ASHA at small budgets") found none that stays within
 * 0.5 % at half the rounds on both seed sets, so it stays the default at every budget.
 */
export const DEFAULT_ASHA: AshaSettings = { minRounds: 20, eta: 4, maxRounds: 1000 };

/**
 * The rungs before that: 25, 75, 225, 675 rounds with η = 3. Searches started without the patch
 * 'asha-rungs-20-eta-4' keep them for their whole length (continue-as-new included), so their histories
 * replay and their carried rung scores stay comparable.
 */
export const LEGACY_ASHA: AshaSettings = { minRounds: 25, eta: 3, maxRounds: 1000 };

export function rungRounds(settings: AshaSettings): number[] {
  const { minRounds, eta, maxRounds } = settings;
  if (!Number.isInteger(minRounds) || minRounds < 1)
    throw new RangeError(`ASHA minRounds must be a positive integer (got ${minRounds})`);
  if (!Number.isInteger(eta) || eta < 2) throw new RangeError(`ASHA eta must be an integer ≥ 2 (got ${eta})`);
  const rounds: number[] = [];
  for (let r = minRounds; r < maxRounds; r *= eta) rounds.push(r);
  return rounds;
}

/**
 * Cut-offs from the rung scores of earlier trials (`rungScores[t][k]` = trial t's score at rung k; a
 * trial that stopped or ended before rung k has fewer entries).
 */
export function rungCutoffs(settings: AshaSettings, rungScores: readonly (readonly number[])[]): RungCutoffs {
  const rounds = rungRounds(settings);
  const cutoffs = rounds.map((_, k) => {
    const reached = rungScores
      .filter((s) => s.length > k && Number.isFinite(s[k]))
      .map((s) => s[k])
      .sort((a, b) => a - b);
    const n = reached.length;
    const keep =
      n < Math.max(settings.eta, settings.minTrialsAtRung ?? 0)
        ? 0
        : settings.keep === 'ceil'
          ? Math.ceil(n / settings.eta)
          : Math.floor(n / settings.eta);
    return keep === 0 ? null : reached[keep - 1];
  });
  return { rounds, cutoffs };
}

/** Whether a trial whose best score within `rungs.rounds[k]` rounds is `score` stops at rung k. */
export function stopsAtRung(rungs: RungCutoffs, k: number, score: number): boolean {
  const cutoff = rungs.cutoffs[k];
  return cutoff !== null && cutoff !== undefined && !(score <= cutoff);
}
