// What the lab has seen of one client, from its JSON lines as they arrive:
// calls per backend since start and over a recent window, and optionally every
// call's time and latency (for throughput and percentiles over a window).

export interface Sample {
  /** When the parent read the response line (Date.now()). */
  at: number;
  ms: number;
  pod: string;
}

export interface FailureAt {
  /** When the parent read the error line (Date.now()). */
  at: number;
  code: string;
  /** From when the call was due until it failed. */
  ms: number;
}

export class CallTally {
  readonly byBackend = new Map<string, number>();
  readonly samples: Sample[] = [];
  readonly failuresByCode: Record<string, number> = {};
  /** Every failed call, oldest first (failures are few; kept always). */
  readonly failures: FailureAt[] = [];
  ok = 0;
  failed = 0;
  /** When the first response arrived. */
  firstAt?: number;
  /** Responses newer than the window, oldest first; older ones are dropped as we go. */
  private readonly recent: { at: number; pod: string }[] = [];

  constructor(
    private readonly windowMs = 2000,
    private readonly keepSamples = false,
  ) {}

  recordResponse(pod: string, ms: number, at = Date.now()): void {
    this.ok++;
    this.firstAt ??= at;
    this.byBackend.set(pod, (this.byBackend.get(pod) ?? 0) + 1);
    this.recent.push({ at, pod });
    this.prune(at);
    if (this.keepSamples) this.samples.push({ at, ms, pod });
  }

  recordFailure(code: string, ms = 0, at = Date.now()): void {
    this.failed++;
    this.failures.push({ at, code, ms });
    this.failuresByCode[code] = (this.failuresByCode[code] ?? 0) + 1;
  }

  /** Share of each backend among the calls of the last window (backends without calls are absent). */
  recentShares(now = Date.now()): Map<string, number> {
    this.prune(now);
    const counts = new Map<string, number>();
    for (const { pod } of this.recent) counts.set(pod, (counts.get(pod) ?? 0) + 1);
    return new Map([...counts].map(([pod, n]) => [pod, n / this.recent.length]));
  }

  /** Samples with from <= at < to. */
  samplesBetween(from: number, to: number): Sample[] {
    return this.samples.filter((s) => s.at >= from && s.at < to);
  }

  /**
   * Calls that were due (at - ms) in [from, to), answered and failed: what an open-loop
   * client offered in a window, however late the answers came. Needs keepSamples.
   */
  dueBetween(from: number, to: number): { answered: Sample[]; failed: FailureAt[] } {
    const due = (x: { at: number; ms: number }) => x.at - x.ms >= from && x.at - x.ms < to;
    return { answered: this.samples.filter(due), failed: this.failures.filter(due) };
  }

  private prune(now: number): void {
    let drop = 0;
    while (drop < this.recent.length && this.recent[drop].at <= now - this.windowMs) drop++;
    if (drop > 0) this.recent.splice(0, drop);
  }
}
