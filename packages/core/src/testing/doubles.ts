// Doubles one step apart: what the differential tests store to find where a store's reading of
// numbers stops being exact.

const bits = new DataView(new ArrayBuffer(8));

/** The double next to `x` towards +∞ (`direction` 1) or −∞ (−1). */
export function nextDouble(x: number, direction: 1 | -1): number {
  if (!Number.isFinite(x)) throw new RangeError(`[pocket/testing] nextDouble() takes a finite number, got ${x}.`);
  if (x === 0) return direction * Number.MIN_VALUE;
  bits.setFloat64(0, x);
  const away = x > 0 === direction > 0;
  bits.setBigUint64(0, bits.getBigUint64(0) + (away ? 1n : -1n));
  return bits.getFloat64(0);
}

/** How many doubles lie between `a` and `b` (same sign): 0 when equal, 1 for neighbours. */
export function stepsBetween(a: number, b: number): number {
  const of = (x: number) => (bits.setFloat64(0, Math.abs(x)), bits.getBigInt64(0));
  const d = of(a) - of(b);
  return Number(d < 0n ? -d : d);
}

/** `x` with its two neighbours: three numbers a query must tell apart. */
export function withNeighbours(x: number): number[] {
  return [nextDouble(x, -1), x, nextDouble(x, 1)];
}
