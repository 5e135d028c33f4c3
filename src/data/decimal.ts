/** Strict decimal parsing shared by the CSV reader and prediction input. */

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parses a finite decimal number; undefined for anything else (empty, hex, Infinity, garbage). */
export function parseDecimal(text: string): number | undefined {
  if (!NUMBER_RE.test(text)) return undefined;
  return Number(text);
}
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * `parseDecimal(text.slice(start, end))` without the slice. Plain decimals of up to 15 digits take the
 * exact fast path (integer mantissa / power of ten is correctly rounded, so the result equals Number()).
 */
export function parseDecimalAt(text: string, start: number, end: number): number | undefined {
  let i = start;
  let sign = 1;
  const first = text.charCodeAt(i);
  if (first === 45 || first === 43) {
    if (first === 45) sign = -1;
    i++;
  }
  let mantissa = 0;
  let digitCount = 0;
  let fraction = -1;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digitCount++;
      if (fraction >= 0) fraction++;
    } else if (c === 46 && fraction < 0) {
      fraction = 0;
    } else {
      return parseDecimal(text.slice(start, end));
    }
  }
  if (digitCount === 0) return undefined;
  if (digitCount > 15) return parseDecimal(text.slice(start, end));
  return (fraction > 0 ? mantissa / POW10[fraction] : mantissa) * sign;
}
