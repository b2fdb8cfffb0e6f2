// latency.svg: what the calls cost as the load grows, from the capacity sweep. p99
// (solid) and p50 (dashed, same colour) per mode against offered calls/s, on a log
// axis because a saturated mode's queueing drives p99 up by orders of magnitude.
import type { ScaleReport } from "../scaleReport";
import { capacityPoints, count, modeStyles, runLine } from "./describe";
import { axisName, ChartOption, GUIDE_COLOR, heading, LEGEND_TOP, legends, plotLayout, renderSvg, WIDE } from "./render";

export function latencyChart(report: ScaleReport): string {
  const c = report.capacity;
  const { modes, color, symbol } = modeStyles(report);
  const swept = modes.filter((m) => m in c.points);
  // A log axis has no 0: a point without a latency is left out, not drawn at the bottom.
  const positive = (ms: number): number | null => (ms > 0 ? ms : null);
  const line = (mode: string, quantile: "p99Ms" | "p50Ms") => ({
    // p50 and p99 share the name: one legend entry per mode.
    name: mode,
    type: "line" as const,
    color: color(mode),
    symbol: quantile === "p99Ms" ? symbol(mode) : "none",
    symbolSize: 8,
    connectNulls: false,
    lineStyle: quantile === "p99Ms" ? { width: 2.5 } : { width: 1.5, type: "dashed" as const, opacity: 0.8 },
    data: capacityPoints(report, mode).map((p) => [p.offeredPerS, positive(p[quantile])]),
  });
  const legend = legends(swept.map((name) => ({ name })), LEGEND_TOP, WIDE.width);
  const { size, grid } = plotLayout(legend.bottom);
  const option: ChartOption = {
    title: heading(
      "Call latency (ms, log scale) against calls offered per second",
      `solid: p99, dashed: p50, of every call due, a failed one at its deadline` +
        `${c.deadlineMs ? ` (${c.deadlineMs / 1000} s)` : ""}; ${c.servers} servers, ${c.serviceTimeMs} ms a call, ` +
        `capacity ${count(c.fleetCapacityPerS)} calls/s\n${runLine(report)}`,
    ),
    legend: legend.legend,
    grid,
    xAxis: { type: "value", min: 0, ...axisName("offered (calls/s)", 30), axisLabel: { formatter: count } },
    yAxis: { type: "log", logBase: 10, ...axisName("latency (ms)", 56), axisLabel: { formatter: milliseconds }, minorSplitLine: { show: false } },
    series: [
      ...swept.flatMap((mode) => [line(mode, "p99Ms"), line(mode, "p50Ms")]),
      {
        // Guides only: beyond the fleet's capacity calls must queue; no call is faster than its service time.
        name: "guides",
        type: "line" as const,
        data: [],
        markLine: {
          silent: true,
          symbol: "none",
          lineStyle: { color: GUIDE_COLOR, type: "solid", width: 1.5 },
          label: { color: "#333", fontSize: 12 },
          data: [
            { xAxis: c.fleetCapacityPerS, label: { position: "end", formatter: "fleet capacity" } },
            // At the right end: the lines have left the floor by then (saturation), the label stays clear.
            { yAxis: c.serviceTimeMs, label: { position: "insideEndBottom", formatter: `service time ${c.serviceTimeMs} ms` } },
          ],
        },
      },
    ],
  };
  return renderSvg("latency", option, size);
}

/** Log-axis ticks: 0.1, 1, 10, 1,000 (whole numbers grouped, fractions kept). */
function milliseconds(ms: number): string {
  return ms >= 1 ? count(ms) : String(ms);
}
