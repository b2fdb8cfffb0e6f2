// The scale report as a few tables on stderr, for whoever runs the bench.
import type { ScaleReport } from "./scaleReport";

const pad = (cells: (string | number)[], widths: number[]) => cells.map((c, i) => String(c).padEnd(widths[i])).join(" ");
const orDash = (value: number | null | undefined) => (value === null || value === undefined ? "-" : value);

export function scaleSummary(report: ScaleReport): string[] {
  const lines = ["", "scale: how each mode spreads its clients' calls over the servers"];
  const widths = [8, 18, 8, 7, 15, 13, 9, 11, 17];
  lines.push(pad(["servers", "mode", "max/min", "cv", "servers/client", "conns/client", "ready", "new client", "MiB client/server"], widths));
  for (const p of report.scale) {
    const uniq = (xs: (number | null)[]) => [...new Set(xs)].map(orDash).join(",");
    lines.push(
      pad(
        [
          p.servers,
          p.mode + (p.endpointSlices ? ` (${p.endpointSlices} slice${p.endpointSlices > 1 ? "s" : ""})` : ""),
          orDash(p.spread.maxMinRatio),
          p.spread.cv,
          uniq(p.backendsPerClient),
          uniq(p.connectionsPerClient),
          p.clientsReadyMs === null ? "no" : `${(p.clientsReadyMs / 1000).toFixed(1)} s`,
          p.newClientAllServersMs === null ? "never" : `${p.newClientAllServersMs} ms`,
          `${p.memoryMiB.clientMedian}/${p.memoryMiB.serverMedian}`,
        ],
        widths,
      ),
    );
  }
  lines.push("", "DNS: one A query, as CoreDNS answers it, and what grpc-js's resolver saw");
  for (const d of report.dns) {
    lines.push(
      `  ${String(d.servers).padStart(5)} records: ${d.fullAnswerBytes} bytes; UDP without EDNS0: ${d.udpRecordsNoEdns}${d.truncatedNoEdns ? " (TC)" : ""}; ` +
        `grpc-js: ${d.grpcJsAddresses} addresses, ${d.queriesUdp} UDP + ${d.queriesTcp} TCP queries`,
    );
  }
  const c = report.capacity;
  lines.push("", `capacity: ${c.servers} servers x ${c.maxConcurrentCalls} workers / ${c.serviceTimeMs} ms = ${c.fleetCapacityPerS} calls/s, ${c.clients} open-loop clients`);
  for (const [mode, points] of Object.entries(c.points)) {
    const cells = points.map((p) => `${p.offeredPerS}->${p.achievedPerS} p99 ${p.p99Ms}${p.failed ? ` (${p.failed} failed)` : ""}`);
    lines.push(`  ${mode.padEnd(10)} servers used ${c.serversUsed[mode as keyof typeof c.serversUsed]}: ${cells.join(" | ")}`);
  }
  lines.push("", "discovery: a new server's first call after publishing");
  for (const d of report.discovery) lines.push(`  ${d.mode.padEnd(10)} ${d.firstCallMs === null ? "never" : `${d.firstCallMs} ms`}`);
  if (report.peers) {
    const r = report.peers.ratios;
    lines.push("", `ours / grpc-java at ${report.peers.offeredPerS} calls/s: calls/s ${r.callsPerS}, p99 ${r.p99}, memory ${r.rss}, start to serving ${r.startToServing}`);
  } else if (report.peersSkipped) lines.push("", `ours / grpc-java: not measured: ${report.peersSkipped}`);
  return lines;
}
