// How the client reports: one line per call, a periodic per-backend table, and a
// final summary; as text for people (kubectl logs) or JSON lines for tools.
import { CallStats } from "./callStats";
import { ClientConfig, LogFormat } from "./clientConfig";
import { percent, shareBar } from "./shareBar";

export interface ClientLog {
  start(config: ClientConfig): void;
  response(podName: string, podIp: string, ms: number): void;
  /** `ms`: from when the call was due until it failed. */
  failure(code: string, details: string, ms: number): void;
  /** The channel's connectivity state changed (a connection made, lost, or being made). */
  channel(from: string, to: string): void;
  /** The resolver's result changed (kubernetes: targets): the endpoints now used, or why none. */
  endpoints(change: EndpointsChange): void;
  /** Periodic, cumulative since start. */
  progress(stats: CallStats): void;
  /** The last line the client prints. */
  summary(stats: CallStats): void;
}

type Write = (line: string) => void;

/** A call's line in the JSON log (ECHO_LOG_FORMAT=json): answered, and by which pod. */
export interface ResponseRecord {
  event: "response";
  pod: string;
  ip: string;
  ms: number;
}
/** A channel state change's line in the JSON log: READY -> IDLE is a lost connection. */
export interface ChannelRecord {
  event: "channel";
  from: string;
  to: string;
}
/** What a resolver now gives the channel: "ip:port" endpoints, or the error why none. */
export interface EndpointsChange {
  endpoints?: string[];
  error?: { code: string; message: string };
  /** The endpoints are kept from before; the resolver cannot read its source now, and why. */
  warning?: string;
}
/** An endpoint set change's line in the JSON log. */
export interface EndpointsRecord extends EndpointsChange {
  event: "endpoints";
}
/** A failed call's line in the JSON log. */
export interface ErrorRecord {
  event: "error";
  code: string;
  details: string;
  /** From when the call was due until it failed (a deadline shows as about the deadline). */
  ms: number;
}

export function verdict(backends: number): string {
  if (backends === 0) return "no backend answered yet";
  return backends === 1 ? "pinned to 1 backend" : `spread over ${backends} backends`;
}

export function formatTable(stats: CallStats, title: string): string[] {
  const failures = [...stats.failuresByCode].map(([code, n]) => `${code} ${n}`).join(", ");
  const s = stats.summary();
  const lines = [
    `${title}: ${stats.total} calls to ${stats.target} (${stats.policy}): ${stats.ok} ok, ${stats.failed} failed` +
      `${failures ? ` (${failures})` : ""}; p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms; ${verdict(stats.backends.size)}`,
  ];
  const nameWidth = Math.max(4, ...[...stats.backends.keys()].map((n) => n.length));
  for (const backend of stats.sortedBackends()) {
    const share = stats.ok > 0 ? backend.calls / stats.ok : 0;
    lines.push(
      `  ${backend.podName.padEnd(nameWidth)}  ${backend.podIp.padEnd(15)} ${String(backend.calls).padStart(7)} ${percent(share)}  ${shareBar(share, 30)}`,
    );
  }
  return lines;
}

class TextLog implements ClientLog {
  constructor(private readonly write: Write) {}
  start(config: ClientConfig): void {
    this.write(
      `Echo client: target ${config.target}, policy ${config.policy}, ` +
        (config.ratePerS > 0 ? `${config.ratePerS} calls/s (open loop)` : `${config.concurrency} loops, interval 0..${config.intervalMs}ms`) +
        `, deadline ${config.deadlineMs}ms, retries ${config.retries}, ` +
        `keepalive ${config.keepaliveTimeMs > 0 ? `${config.keepaliveTimeMs}ms (timeout ${config.keepaliveTimeoutMs}ms)` : "off"}` +
        (config.requests ? `, stopping after ${config.requests} calls` : ""),
    );
  }
  response(podName: string, podIp: string): void {
    this.write(`${podName} (${podIp}) echoed`);
  }
  failure(code: string, details: string): void {
    this.write(`call failed: ${code}: ${details}`);
  }
  channel(from: string, to: string): void {
    this.write(`channel ${from} -> ${to}`);
  }
  endpoints(change: EndpointsChange): void {
    this.write(
      change.error
        ? `endpoints: none, ${change.error.code}: ${change.error.message}`
        : `endpoints (${change.endpoints?.length ?? 0}): ${(change.endpoints ?? []).join(" ")}` +
            (change.warning ? `; kept, because ${change.warning}` : ""),
    );
  }
  progress(stats: CallStats): void {
    for (const line of formatTable(stats, "distribution so far")) this.write(line);
  }
  summary(stats: CallStats): void {
    for (const line of formatTable(stats, "final distribution")) this.write(line);
  }
}

class JsonLog implements ClientLog {
  constructor(private readonly write: Write) {}
  private emit(record: object): void {
    this.write(JSON.stringify(record));
  }
  start(config: ClientConfig): void {
    this.emit({ event: "start", ...config });
  }
  response(podName: string, podIp: string, ms: number): void {
    this.emit({ event: "response", pod: podName, ip: podIp, ms: Math.round(ms * 100) / 100 } satisfies ResponseRecord);
  }
  failure(code: string, details: string, ms: number): void {
    this.emit({ event: "error", code, details, ms: Math.round(ms * 10) / 10 } satisfies ErrorRecord);
  }
  channel(from: string, to: string): void {
    this.emit({ event: "channel", from, to } satisfies ChannelRecord);
  }
  endpoints(change: EndpointsChange): void {
    this.emit({ event: "endpoints", ...change } satisfies EndpointsRecord);
  }
  progress(stats: CallStats): void {
    this.emit({ ...stats.summary(), event: "progress" });
  }
  summary(stats: CallStats): void {
    this.emit(stats.summary());
  }
}

export function createClientLog(format: LogFormat, write: Write): ClientLog {
  return format === "json" ? new JsonLog(write) : new TextLog(write);
}
