// capacity.svg: how much of the fleet's capacity each mode delivers. Achieved against
// offered calls/s per mode; on the diagonal every offered call is answered, the fleet's
// capacity is the ceiling no mode can pass. A mode that pins clients to a few servers
// flattens out well below it.
import type { ScaleReport } from "../scaleReport";
import { capacityPoints, count, modeStyles, runLine } from "./describe";
import { axisName, ChartOption, GUIDE_COLOR, heading, LEGEND_TOP, legends, niceCeil, plotLayout, renderSvg, WIDE } from "./render";

const IDEAL = "achieved = offered";

export function capacityChart(report: ScaleReport): string {
  const c = report.capacity;
  const { modes, color, symbol } = modeStyles(report);
  const sweeps = modes.filter((m) => m in c.points).map((mode) => ({ mode, points: capacityPoints(report, mode) }));
  const maxOffered = Math.max(...sweeps.flatMap((s) => s.points.map((p) => p.offeredPerS)));
  const used = (mode: string): string => {
    const n = (c.serversUsed as Record<string, number | undefined>)[mode];
    return n === undefined ? mode : `${mode}: ${n} of ${c.servers} servers used`;
  };
  const legend = legends([...sweeps.map((s) => ({ name: s.mode, label: used(s.mode) })), { name: IDEAL }], LEGEND_TOP, WIDE.width);
  const { size, grid } = plotLayout(legend.bottom);
  const option: ChartOption = {
    title: heading(
      "Calls answered per second against calls offered per second",
      `${c.servers} servers, each call takes ${c.serviceTimeMs} ms, at most ${c.maxConcurrentCalls} at once per server; ` +
        `${c.clients} clients, open loop\n${runLine(report)}`,
    ),
    legend: legend.legend,
    grid,
    xAxis: { type: "value", min: 0, ...axisName("offered (calls/s)", 30), axisLabel: { formatter: count } },
    yAxis: {
      type: "value",
      min: 0,
      // Room above the capacity line for its label, also when no mode reaches it.
      max: (extent: { max: number }) => niceCeil(Math.max(extent.max, c.fleetCapacityPerS) * 1.08),
      ...axisName("answered OK (calls/s)", 60),
      axisLabel: { formatter: count },
    },
    series: [
      ...sweeps.map(({ mode, points }) => ({
        name: mode,
        type: "line" as const,
        color: color(mode),
        symbol: symbol(mode),
        symbolSize: 8,
        lineStyle: { width: 2.5 },
        data: points.map((p) => [p.offeredPerS, p.achievedPerS]),
      })),
      {
        name: IDEAL,
        type: "line" as const,
        color: GUIDE_COLOR,
        symbol: "none",
        silent: true,
        lineStyle: { type: "dashed", width: 1.5 },
        data: [
          [0, 0],
          [maxOffered, maxOffered],
        ],
        markLine: {
          silent: true,
          symbol: "none",
          lineStyle: { color: "#333", type: "solid", width: 1.5 },
          label: { position: "insideStartTop", formatter: `fleet capacity ${count(c.fleetCapacityPerS)} calls/s`, color: "#333", fontSize: 12 },
          data: [{ yAxis: c.fleetCapacityPerS }],
        },
      },
    ],
  };
  return renderSvg("capacity", option, size);
}
