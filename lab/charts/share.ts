// share.svg: how evenly each mode spreads calls over the servers, at every scale the
// bench ran. One small panel per mode (row) and number of servers (column); a bar per
// server, busiest first, its calls over the mean (1.0 = its fair share). l4 shows a few
// tall bars and a run of idle servers, round_robin a flat block at 1.0.
import type { ScalePoint, ScaleReport } from "../scaleReport";
import { modeStyles, runLine } from "./describe";
import { ChartOption, GUIDE_COLOR, heading, LEGEND_TOP, legends, MUTED_COLOR, niceCeil, renderSvg, TEXT_COLOR } from "./render";

const LEFT = 92;
const RIGHT = 20;
const PANEL_HEIGHT = 96;
const ROW_GAP = 26;
const COL_GAP = 22;
const BOTTOM = 40;

/** Calls over the mean, busiest first; all 0 when nothing was called. */
export function fairShares(callsPerServer: readonly number[]): number[] {
  const total = callsPerServer.reduce((a, b) => a + b, 0);
  const mean = total / callsPerServer.length;
  return callsPerServer.map((c) => (mean > 0 ? c / mean : 0)).sort((a, b) => b - a);
}

export function shareChart(report: ScaleReport): string {
  const { modes: all, color } = modeStyles(report);
  const modes = all.filter((m) => report.scale.some((p) => p.mode === m));
  const scales = [...new Set(report.scale.map((p) => p.servers))].sort((a, b) => a - b);
  const point = (mode: string, servers: number): ScalePoint | undefined =>
    report.scale.find((p) => p.mode === mode && p.servers === servers);
  const shares = new Map(report.scale.map((p) => [`${p.mode}/${p.servers}`, fairShares(p.callsPerServer)]));
  // One scale per row: on l4's scale (10x and more) a fair share of 1.0 would be a
  // hairline; from 0 to 2 a flat block at 1.0 shows, and so would a 20% tilt.
  const yMax = (mode: string): number =>
    Math.max(2, niceCeil(Math.max(...report.scale.filter((p) => p.mode === mode).flatMap((p) => shares.get(`${p.mode}/${p.servers}`) ?? []))));
  const clients = [...new Set(report.scale.map((p) => p.clients))];

  const width = Math.max(820, LEFT + RIGHT + scales.length * 170);
  const legend = legends(modes.map((name) => ({ name })), LEGEND_TOP, width);
  // Panels start below the legend and the column heads.
  const HEADER = legend.bottom + 34;
  const panelWidth = (width - LEFT - RIGHT - (scales.length - 1) * COL_GAP) / scales.length;
  const height = HEADER + modes.length * (PANEL_HEIGHT + ROW_GAP) - ROW_GAP + BOTTOM;
  const cells = modes.flatMap((mode, row) => scales.map((servers, col) => ({ mode, servers, row, col })));
  const left = (col: number): number => LEFT + col * (panelWidth + COL_GAP);
  const top = (row: number): number => HEADER + row * (PANEL_HEIGHT + ROW_GAP);

  const option: ChartOption = {
    title: [
      heading(
        "Each server's share of calls, relative to a fair share (1.0)",
        `bars: servers busiest first, their calls / mean calls per server (dashed: 1.0); one scale per row; ` +
          `${clients.length === 1 ? `${clients[0]} clients` : `${clients.join(", ")} clients`}\n${runLine(report)}`,
      ) as object,
      // Column heads: the number of servers.
      ...scales.map((servers, col) => ({
        text: `${servers} servers`,
        left: left(col) + panelWidth / 2,
        top: HEADER - 22,
        textAlign: "center" as const,
        textStyle: { fontSize: 13, fontWeight: "bold" as const, color: TEXT_COLOR },
      })),
      // Inside each panel: what one must not miss, idle servers and the busiest one's load.
      ...cells.map(({ mode, servers, row, col }) => {
        const s = shares.get(`${mode}/${servers}`);
        const idle = s?.filter((x) => x === 0).length ?? 0;
        return {
          text: s ? `${idle} idle, max ${s[0].toFixed(1)}x` : "not run",
          right: width - left(col) - panelWidth + 4,
          top: top(row) + 2,
          textStyle: { fontSize: 11, fontWeight: "normal" as const, color: idle > 0 ? "#B00020" : MUTED_COLOR },
        };
      }),
    ],
    legend: legend.legend,
    grid: cells.map(({ row, col }) => ({ left: left(col), top: top(row), width: panelWidth, height: PANEL_HEIGHT })),
    xAxis: cells.map(({ mode, servers, row }, i) => ({
      type: "category" as const,
      gridIndex: i,
      data: (point(mode, servers)?.callsPerServer ?? []).map((_, k) => String(k + 1)),
      axisTick: { show: false },
      axisLabel: { show: false },
      axisLine: { lineStyle: { color: "#999" } },
      ...(row === modes.length - 1 ? { name: "servers, busiest first", nameLocation: "middle" as const, nameGap: 10, nameTextStyle: { fontSize: 12, color: MUTED_COLOR } } : {}),
    })),
    yAxis: cells.map(({ mode, col }, i) => ({
      type: "value" as const,
      gridIndex: i,
      min: 0,
      max: yMax(mode),
      interval: yMax(mode) / 2,
      splitLine: { lineStyle: { color: "#eee" } },
      axisLabel: { show: col === 0, fontSize: 11, color: MUTED_COLOR },
      // The row's mode, once, at its left.
      ...(col === 0
        ? { name: mode, nameLocation: "middle" as const, nameGap: 34, nameTextStyle: { fontSize: 14, fontWeight: "bold" as const, color: color(mode) } }
        : {}),
    })),
    series: cells.map(({ mode, servers }, i) => {
      const s = shares.get(`${mode}/${servers}`) ?? [];
      return {
        name: mode,
        type: "bar" as const,
        xAxisIndex: i,
        yAxisIndex: i,
        color: color(mode),
        silent: true,
        barCategoryGap: s.length > 40 ? "0%" : "20%",
        data: s.map((x) => Math.round(x * 1000) / 1000),
        markLine: {
          silent: true,
          symbol: "none",
          label: { show: false },
          lineStyle: { color: GUIDE_COLOR, type: "dashed" as const, width: 1 },
          data: [{ yAxis: 1 }],
        },
      };
    }),
  };
  return renderSvg("share", option, { width, height });
}
