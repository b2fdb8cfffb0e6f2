// What a client has seen: calls per backend, failures by status, latencies.
import { LatencyHistogram } from "./latencyHistogram";

export interface Backend {
  podName: string;
  podIp: string;
  calls: number;
}

/** The contract of the client's final JSON line (tools parse it). */
export interface Summary {
  event: "summary";
  target: string;
  policy: string;
  total: number;
  ok: number;
  failed: number;
  byBackend: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
}

export class CallStats {
  readonly backends = new Map<string, Backend>();
  readonly failuresByCode = new Map<string, number>();
  private readonly latency = new LatencyHistogram();
  ok = 0;
  failed = 0;

  constructor(
    readonly target: string,
    readonly policy: string,
  ) {}

  get total(): number {
    return this.ok + this.failed;
  }

  recordSuccess(podName: string, podIp: string, ms: number): void {
    this.ok++;
    this.latency.record(ms);
    const backend = this.backends.get(podName);
    if (backend) backend.calls++;
    else this.backends.set(podName, { podName, podIp, calls: 1 });
  }

  recordFailure(code: string): void {
    this.failed++;
    this.failuresByCode.set(code, (this.failuresByCode.get(code) ?? 0) + 1);
  }

  summary(): Summary {
    const byBackend: Record<string, number> = {};
    for (const backend of this.sortedBackends()) byBackend[backend.podName] = backend.calls;
    return {
      event: "summary",
      target: this.target,
      policy: this.policy,
      total: this.total,
      ok: this.ok,
      failed: this.failed,
      byBackend,
      p50Ms: this.latency.quantile(0.5),
      p99Ms: this.latency.quantile(0.99),
    };
  }

  sortedBackends(): Backend[] {
    return [...this.backends.values()].sort((a, b) => a.podName.localeCompare(b.podName));
  }
}
