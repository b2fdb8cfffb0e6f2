// The benchmark's report: the figures, the targets beside them, and a
// human-readable rendering of both.
import { UNPUBLISH_GRACE_MS, type Discovery } from "./benchDiscovery";
import type { ChaosResult } from "./chaos";
import type { ModeLoad } from "./benchMode";
import type { Overhead } from "./benchOverhead";
import type { RollingRestart } from "./benchRollout";
import type { Machine } from "./machine";
import { discoveryOf, LAB_MODES, labSettings, type LabMode } from "./modes";

export interface ModeFigures extends ModeLoad {
  rollingRestart: { withRetries: RollingRestart; withoutRetries: RollingRestart };
}

export interface BenchReport {
  quick: boolean;
  startedAt: string;
  elapsedS: number;
  machine: Machine & { loadAverage1mAtEnd: number };
  settings: Record<string, unknown>;
  modes: Record<LabMode, ModeFigures>;
  /** Per mode: a new server's first call, and calls after it is unpublished. */
  discovery: (Discovery & { targetMs: number | null })[];
  /** A server frozen or killed under load, per mode and fault. */
  chaos: ChaosResult[];
  serverOverhead: Overhead;
  targets: Target[];
}

export interface Target {
  figure: string;
  value: number | number[] | null;
  target: string;
  met: boolean;
}

/** Every call succeeds again within the keepalive bound: ping interval + ping timeout. */
export function chaosTargetMs(c: ChaosResult): number {
  return c.keepaliveTimeMs + c.keepaliveTimeoutMs;
}

/**
 * When a running client must have called a new server: within one connection age (plus
 * jitter) and 2 s to reconnect when the servers age connections out (clientside); within
 * 1 s when the client watches the EndpointSlices (api); never (null) for a connected
 * pick_first client (l4), which keeps its server.
 */
export function discoveryTargetMs(d: Pick<Discovery, "mode" | "maxConnectionAgeMs">): number | null {
  if (labSettings(d.mode).lbPolicy === "pick_first") return null;
  return d.maxConnectionAgeMs > 0 ? d.maxConnectionAgeMs + 2000 : 1000;
}

export function targets(report: Omit<BenchReport, "targets">, minCalls: number): Target[] {
  const spread = LAB_MODES.filter((mode) => labSettings(mode).lbPolicy === "round_robin");
  const pinned = LAB_MODES.filter((mode) => labSettings(mode).lbPolicy === "pick_first");
  return [
    ...LAB_MODES.map((mode) => ({
      figure: `${mode}: calls measured for fairness`,
      value: report.modes[mode].fairness.calls,
      target: `>= ${minCalls}`,
      met: report.modes[mode].fairness.calls >= minCalls,
    })),
    ...spread.map((mode) => {
      const ratio = report.modes[mode].fairness.maxMinRatio;
      return { figure: `${mode}: max/min share`, value: ratio, target: "<= 1.10", met: ratio !== null && ratio <= 1.1 };
    }),
    ...pinned.map((mode) => ({
      figure: `${mode}: backends per client`,
      value: report.modes[mode].stickiness.backendsPerClient,
      target: "exactly 1 each",
      met: report.modes[mode].stickiness.backendsPerClient.every((n) => n === 1),
    })),
    ...report.discovery.map((d) => ({
      figure: `${d.mode}: ms from a server published to its first call${d.maxConnectionAgeMs ? ` (max connection age ${d.maxConnectionAgeMs})` : ""}`,
      value: d.discoveryMs,
      target: d.targetMs === null ? "never (a connected pick_first client keeps its server)" : `<= ${d.targetMs}`,
      met: d.targetMs === null ? d.discoveryMs === null : d.discoveryMs !== null && d.discoveryMs <= d.targetMs,
    })),
    ...report.discovery
      .filter((d) => discoveryOf(d.mode) === "kubernetes-api")
      .map((d) => ({
        figure: `${d.mode}: calls answered by a server more than ${UNPUBLISH_GRACE_MS} ms after it was unpublished`,
        value: d.callsAfterUnpublish,
        target: "0 (after calls before it)",
        // Zero means nothing if the server never got a call in the first place.
        met: d.discoveryMs !== null && d.callsAfterUnpublish === 0,
      })),
    ...report.chaos.map((c) => ({
      figure: `${c.mode}: ms from a server ${c.fault === "freeze" ? "frozen" : "killed"} under load to the last failed call`,
      value: c.recoveryMs,
      target: `<= ${chaosTargetMs(c)}`,
      met: c.recoveryMs <= chaosTargetMs(c),
    })),
    ...LAB_MODES.map((mode) => ({
      figure: `${mode}: failed calls in a rolling restart, retries on`,
      value: report.modes[mode].rollingRestart.withRetries.failed,
      target: "0",
      met: report.modes[mode].rollingRestart.withRetries.failed === 0,
    })),
    {
      figure: "our server / bare grpc-js server throughput",
      value: report.serverOverhead.ratio,
      target: ">= 0.9",
      met: report.serverOverhead.ratio >= 0.9,
    },
  ];
}

function show(value: Target["value"]): string {
  if (value === null) return "none";
  return Array.isArray(value) ? value.join(" ") : String(value);
}

function modeLines(mode: LabMode, m: ModeFigures): string[] {
  const f = m.fairness;
  const t = m.throughput;
  const r = m.rollingRestart;
  const shares = Object.entries(f.byBackend)
    .map(([name, n]) => `${name} ${n}`)
    .join(", ");
  const restart = (x: RollingRestart) => `${x.failed} of ${x.calls} failed${x.failed ? ` (${JSON.stringify(x.failedByCode)})` : ""}`;
  return [
    `${mode}:`,
    `  fairness     ${f.calls} calls: ${shares}; max/min ${f.maxMinRatio ?? "unbounded (a server got none)"}, CV ${f.cv}`,
    `  stickiness   backends per client: ${m.stickiness.backendsPerClient.join(" ")}`,
    `  throughput   ${t.callsPerS} calls/s at ${t.concurrency} in flight; p50 ${t.p50Ms} ms, p99 ${t.p99Ms} ms`,
    `  rolling restart  retries on: ${restart(r.withRetries)}; retries off: ${restart(r.withoutRetries)}`,
  ];
}

export function humanSummary(report: BenchReport): string[] {
  const m = report.machine;
  const o = report.serverOverhead;
  return [
    `grpc-lb bench${report.quick ? " (--quick: reduced, figures indicative only)" : ""}: ${report.elapsedS} s on ${m.nproc} x ${m.cpu}, ` +
      `Node ${m.node}, load average ${m.loadAverage1m} at start, ${m.loadAverage1mAtEnd} at end`,
    ...LAB_MODES.flatMap((mode) => modeLines(mode, report.modes[mode])),
    ...report.discovery.map(
      (d) =>
        `discovery (${d.mode}${d.maxConnectionAgeMs ? `, age ${d.maxConnectionAgeMs} ms` : ""}): first call ${d.discoveryMs ?? "never"}` +
        `${d.discoveryMs === null ? "" : " ms"} after publishing (client connected ${d.connectedForMs} ms before); ` +
        `${d.callsAfterUnpublish} calls later than ${UNPUBLISH_GRACE_MS} ms after unpublishing`,
    ),
    ...report.chaos.map(
      (c) =>
        `${c.fault === "freeze" ? "frozen" : "killed"} server (${c.mode}, keepalive ${c.keepaliveTimeMs}+${c.keepaliveTimeoutMs} ms): ` +
        `${c.failedAfter} of ${c.callsAfter} calls failed${c.failedAfter ? ` (${JSON.stringify(c.failedByCode)})` : ""}, ` +
        `last failure ${c.recoveryMs} ms after the fault; probes took it out after ${c.unpublishedMs ?? "never"} ms`,
    ),
    `server overhead: ours ${o.ours} calls/s, bare grpc-js ${o.bare} calls/s (medians of ${o.oursCallsPerS.length} rounds, ` +
      `${o.concurrency} in flight); ratio per round ${o.roundRatios.join(" ")}, median ${o.ratio}`,
    "targets:",
    ...report.targets.map((t) => `  ${t.met ? "met   " : "MISSED"}  ${t.figure}: ${show(t.value)} (target ${t.target})`),
  ];
}
