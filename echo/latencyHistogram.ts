// Bounded-memory latency percentiles: a long-running client keeps ~700
// log-spaced buckets (2% apart) instead of every sample.
const GROWTH = 1.02;
const MIN_MS = 0.01;
const BUCKETS = Math.ceil(Math.log(600_000 / MIN_MS) / Math.log(GROWTH)) + 1;

export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS);
  private total = 0;

  record(ms: number): void {
    const index = ms <= MIN_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / MIN_MS) / Math.log(GROWTH)));
    this.counts[index]++;
    this.total++;
  }

  /** The upper bound of the bucket holding the q-quantile (0 < q <= 1), in ms; 0 when empty. */
  quantile(q: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return round2(MIN_MS * GROWTH ** i);
    }
    return round2(MIN_MS * GROWTH ** (BUCKETS - 1));
  }
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
