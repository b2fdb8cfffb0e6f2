// The benchmark's report: the figures, the targets beside them, and a
// human-readable rendering of both.
import { PROXY_NEW_SERVER_WITHIN_MS, PROXY_TIMING } from "../components/haproxyConfig";
import { UNPUBLISH_GRACE_MS, type Discovery } from "./benchDiscovery";
import type { HopCost } from "./benchHop";
import { type ChaosResult, faultBoundMs } from "./chaos";
import type { ModeLoad } from "./benchMode";
import type { Overhead } from "./benchOverhead";
import type { RollingRestart } from "./benchRollout";
import type { Machine } from "./machine";
import { discoveryOf, LAB_MODES, labSettings, type LabMode, spreadsCalls } from "./modes";

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
  /** The proxy's hop: the direct and the proxied mode side by side on one fleet, at the same offered loads. */
  hop?: HopCost;
  /** Why `hop` is missing (the proxy mode's install hint). */
  hopSkipped?: string;
  targets: Target[];
}

export interface Target {
  figure: string;
  value: number | number[] | null;
  target: string;
  met: boolean;
}

/** Every call succeeds again within the bound of whatever notices the fault (see faultBoundMs). */
export function chaosTargetMs(c: ChaosResult): number {
  return faultBoundMs(c);
}

/**
 * When a running client must have called a new server: within one connection age (plus
 * jitter) and 2 s to reconnect when the servers age connections out (clientside); within
 * one resolution interval and 1 s when a proxy resolves the name for it (l7); within
 * 1 s when the client watches the EndpointSlices (api); never (null) for a connected
 * client that sticks to its server (l4).
 */
export function discoveryTargetMs(d: Pick<Discovery, "mode" | "maxConnectionAgeMs">): number | null {
  if (!spreadsCalls(d.mode)) return null;
  if (labSettings(d.mode).proxy) return PROXY_NEW_SERVER_WITHIN_MS + 1000;
  return d.maxConnectionAgeMs > 0 ? d.maxConnectionAgeMs + 2000 : 1000;
}

/**
 * How long an unpublished server may still get calls: the calls in flight (api: the
 * watch event takes it out at once), or one resolution interval more (l7: the proxy
 * drops it at its next query). Null where nothing bounds it: a client that resolved DNS
 * itself keeps its connection until the connection's age, or for good.
 */
export function unpublishTargetMs(mode: LabMode): number | null {
  switch (discoveryOf(mode)) {
    case "kubernetes-api":
      return UNPUBLISH_GRACE_MS;
    case "proxy":
      return PROXY_TIMING.resolveMs + UNPUBLISH_GRACE_MS;
    default:
      return null;
  }
}

export function targets(report: Omit<BenchReport, "targets">, minCalls: number): Target[] {
  const spread = LAB_MODES.filter(spreadsCalls);
  const pinned = LAB_MODES.filter((mode) => !spreadsCalls(mode));
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
    ...report.discovery.flatMap((d) => {
      const bound = unpublishTargetMs(d.mode);
      if (bound === null) return [];
      const last = d.lastCallAfterUnpublishMs;
      return [
        {
          figure: `${d.mode}: ms from a server unpublished to the last call it answered`,
          value: last,
          target: `<= ${bound} (after calls before it)`,
          // No call after it means nothing if the server never got a call in the first place.
          met: d.discoveryMs !== null && (last === null || last <= bound),
        },
      ];
    }),
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
    ...(report.hop
      ? [
          {
            figure: `${report.hop.proxied} / ${report.hop.direct} capacity (calls/s answered at most, same fleet)`,
            value: report.hop.ratios.capacity,
            target: ">= 0.9",
            met: report.hop.ratios.capacity >= 0.9,
          },
        ]
      : []),
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

/** What notices a dead server first: the proxy's health checks, or the client's keepalive. */
function faultNoticer(c: ChaosResult): string {
  return labSettings(c.mode).proxy
    ? `proxy checks every ${PROXY_TIMING.checkIntervalMs} ms, out after ${PROXY_TIMING.fall}: <= ${faultBoundMs(c)} ms`
    : `keepalive ${c.keepaliveTimeMs}+${c.keepaliveTimeoutMs} ms`;
}

function hopLines(h: HopCost): string[] {
  const s = h.sweep;
  const [d, p] = [s.points[h.direct], s.points[h.proxied]];
  return [
    `hop cost, ${h.proxied} against ${h.direct} on one fleet (${s.servers} servers x ${s.maxConcurrentCalls} workers / ${s.serviceTimeMs} ms = ` +
      `${s.fleetCapacityPerS} calls/s, ${s.clients} open-loop clients, no connection ageing):`,
    ...d.map(
      (x, i) =>
        `  ${String(x.offeredPerS).padStart(5)} calls/s offered: p50 ${x.p50Ms} -> ${p[i].p50Ms} ms (x${h.ratios.p50[i]}), ` +
        `p99 ${x.p99Ms} -> ${p[i].p99Ms} ms (x${h.ratios.p99[i]}); answered ${x.achievedPerS} -> ${p[i].achievedPerS}/s` +
        `${x.failed + p[i].failed ? `; failed ${x.failed} -> ${p[i].failed}` : ""}`,
    ),
    `  capacity: ${h.capacityPerS[h.direct]} -> ${h.capacityPerS[h.proxied]} calls/s answered at most (x${h.ratios.capacity})`,
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
        `${d.callsAfterUnpublish} calls later than ${UNPUBLISH_GRACE_MS} ms after unpublishing, ` +
        `the last ${d.lastCallAfterUnpublishMs === null ? "before it" : `${d.lastCallAfterUnpublishMs} ms after`}`,
    ),
    ...report.chaos.map(
      (c) =>
        `${c.fault === "freeze" ? "frozen" : "killed"} server (${c.mode}, ${faultNoticer(c)}): ` +
        `${c.failedAfter} of ${c.callsAfter} calls failed${c.failedAfter ? ` (${JSON.stringify(c.failedByCode)})` : ""}, ` +
        `last failure ${c.recoveryMs} ms after the fault; probes took it out after ${c.unpublishedMs ?? "never"} ms` +
        (c.proxyOutMs === undefined ? "" : `, the proxy after ${c.proxyOutMs ?? "never"} ms`),
    ),
    ...(report.hop ? hopLines(report.hop) : [`hop cost: not measured: ${report.hopSkipped ?? "no proxy"}`]),
    `server overhead: ours ${o.ours} calls/s, bare grpc-js ${o.bare} calls/s (medians of ${o.oursCallsPerS.length} rounds, ` +
      `${o.concurrency} in flight); ratio per round ${o.roundRatios.join(" ")}, median ${o.ratio}`,
    "targets:",
    ...report.targets.map((t) => `  ${t.met ? "met   " : "MISSED"}  ${t.figure}: ${show(t.value)} (target ${t.target})`),
  ];
}
