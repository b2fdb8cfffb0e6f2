// Small statistics for the lab's reports: quantiles of raw samples and how
// evenly calls are spread over backends.

/** The q-quantile (0 < q <= 1) of `samples` by the nearest-rank method; 0 when empty. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return 0;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export interface Spread {
  calls: number;
  /** Largest share over smallest; null when a backend got nothing (unbounded). */
  maxMinRatio: number | null;
  /** Standard deviation over mean of the per-backend counts (0 = perfectly even). */
  cv: number;
}

/** How evenly `counts` (calls per backend, zeros included) are spread. */
export function spread(counts: readonly number[]): Spread {
  const calls = counts.reduce((a, b) => a + b, 0);
  if (counts.length === 0 || calls === 0) return { calls, maxMinRatio: null, cv: 0 };
  const mean = calls / counts.length;
  const variance = counts.reduce((sum, c) => sum + (c - mean) ** 2, 0) / counts.length;
  const min = Math.min(...counts);
  return {
    calls,
    maxMinRatio: min === 0 ? null : round(Math.max(...counts) / min, 3),
    cv: round(Math.sqrt(variance) / mean, 3),
  };
}

export function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** Adds `from` into `into` key by key (calls per backend of several clients). */
export function addCounts(into: Record<string, number>, from: Record<string, number>): Record<string, number> {
  for (const [key, n] of Object.entries(from)) into[key] = (into[key] ?? 0) + n;
  return into;
}
