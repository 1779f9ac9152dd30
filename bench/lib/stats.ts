/**
 * Small statistics helpers for the benchmarks. Latency percentiles use the nearest-rank method
 * (the value at rank ceil(p/100 * n) of the sorted samples, so every reported value was observed);
 * medians across rounds use the usual middle value (mean of the two middle values for even n).
 */

/** Nearest-rank percentile of `values` (need not be sorted). NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

/** The median of `values` (mean of the two middle values for an even count). NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export interface Summary {
  n: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** n, min, nearest-rank p50/p95/p99, max and mean of a sample (any size: no spread arguments). */
export function summarize(values: readonly number[]): Summary {
  const n = values.length;
  if (n === 0)
    return {
      n,
      min: Number.NaN,
      p50: Number.NaN,
      p95: Number.NaN,
      p99: Number.NaN,
      max: Number.NaN,
      mean: Number.NaN,
    };
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) => sorted[Math.min(n, Math.max(1, Math.ceil((p / 100) * n))) - 1] as number;
  return {
    n,
    min: sorted[0] as number,
    p50: at(50),
    p95: at(95),
    p99: at(99),
    max: sorted[n - 1] as number,
    mean: sorted.reduce((a, b) => a + b, 0) / n,
  };
}

/** Rounds to `digits` decimals, for JSON that stays readable. */
export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
