/** The parts one after another in one new typed array of the given kind (e.g. `Float32Array`). */
export function concatNumbers<T extends Float32Array | Float64Array>(
  Kind: new (length: number) => T,
  parts: readonly ArrayLike<number>[],
): T {
  const out = new Kind(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
