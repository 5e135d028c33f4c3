/**
 * Which trials must store their model: only those that can still be among the best `top`.
 * Imported by Temporal workflow code: keep it pure, deterministic and free of runtime imports.
 *
 * A trial stores its model when its loss is at most the `top`-th best loss among trials that finished
 * before it started (any subset of them). This never drops a model of the final top N: if a trial's loss
 * exceeds that bound, `top` finished trials have a strictly lower loss and all of them rank above it in the
 * final table, so it is not in the top N.
 */

/** The `top`-th lowest loss, or undefined (store every model) while fewer than `top` are known. */
export function modelStoreBound(losses: readonly number[], top: number): number | undefined {
  if (losses.length < top) return undefined;
  return [...losses].sort((a, b) => a - b)[top - 1];
}

export function mustStoreModel(loss: number, bound: number | undefined): boolean {
  return bound === undefined || loss <= bound;
}
