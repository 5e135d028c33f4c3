/** The ratios of `npm run bench:serve`: a rate measured with errors is no rate, so no ratio is made from it. */

export interface MeasuredRate {
  target: string;
  requestsPerSec: number;
  requests: number;
  errors: number;
  non2xx: number;
}

export type RatioOrRefusal = { ratio: number } | { refused: string };

/** `a`'s req/s over `b`'s, rounded to 0.01, or why it is not given (a side not measured or with errors). */
export function ratioOrRefusal(a: MeasuredRate | undefined, b: MeasuredRate | undefined): RatioOrRefusal {
  if (!a || !b) return { refused: 'a side was not measured' };
  const failed = [a, b].filter((r) => r.errors + r.non2xx > 0);
  if (failed.length > 0)
    return {
      refused: failed
        .map(
          (r) =>
            `${r.target} had ${r.errors} errors and ${r.non2xx} non-2xx answers in ${r.requests} answers`,
        )
        .join('; '),
    };
  if (!(b.requestsPerSec > 0)) return { refused: `${b.target} answered nothing` };
  return { ratio: Math.round((a.requestsPerSec / b.requestsPerSec) * 100) / 100 };
}
