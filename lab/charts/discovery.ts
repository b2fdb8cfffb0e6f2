// discovery.svg: how soon each mode sends calls to a server that was just published.
// Per mode, the new server's share of all calls over time since then: api takes it up
// at once (EndpointSlice watch), clientside after a connection age (re-resolving DNS),
// l4 never (clients stay pinned). The dashed line is its fair share.
import type { DiscoveryTimeline, ScaleReport } from "../scaleReport";
import { modeStyles, runLine, seconds } from "./describe";
import { axisName, ChartOption, GUIDE_COLOR, heading, LEGEND_TOP, legends, plotLayout, renderSvg, WIDE } from "./render";

interface Line {
  name: string;
  timeline: DiscoveryTimeline;
}

/** A mode timed more than once (clientside at two ages) gets the age in its name. */
function lines(report: ScaleReport, modes: string[]): Line[] {
  const ordered = modes.flatMap((m) => report.discovery.filter((t) => t.mode === m));
  return ordered.map((timeline) => {
    const twice = report.discovery.filter((t) => t.mode === timeline.mode).length > 1;
    const age = timeline.maxConnectionAgeMs > 0 ? `age ${seconds(timeline.maxConnectionAgeMs)}` : "no age";
    return { name: twice ? `${timeline.mode}, ${age}` : timeline.mode, timeline };
  });
}

/** Step line over the bins: bin i holds from i x binMs to (i + 1) x binMs; share in %. */
function steps(t: DiscoveryTimeline): [number, number][] {
  const points = t.newServerShare.map((share, i): [number, number] => [(i * t.binMs) / 1000, round(share * 100)]);
  return [...points, [(t.newServerShare.length * t.binMs) / 1000, round(t.newServerShare[t.newServerShare.length - 1] * 100)]];
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

export function discoveryChart(report: ScaleReport): string {
  const { modes, color } = modeStyles(report);
  const all = lines(report, modes);
  const fairName = (n: number): string => `fair share: 1 of ${n + 1} servers`;
  // `servers` is the fleet the new one joins (the bench publishes one more): fair share 1 / (servers + 1).
  const fleets = [...new Set(all.map((l) => l.timeline.servers))].sort((a, b) => a - b);
  const ages = [
    ...new Set(all.filter((l) => l.timeline.maxConnectionAgeMs > 0).map((l) => `${l.timeline.mode} ${seconds(l.timeline.maxConnectionAgeMs)}`)),
  ];
  const bins = [...new Set(all.map((l) => l.timeline.binMs))];
  const maxSeconds = Math.max(...all.map((l) => (l.timeline.newServerShare.length * l.timeline.binMs) / 1000));
  const legend = legends(
    [
      ...all.map(({ name, timeline }) => ({
        name,
        label: timeline.firstCallMs === null ? `${name}: never called` : `${name}: first call after ${seconds(timeline.firstCallMs)}`,
      })),
      ...fleets.map((n) => ({ name: fairName(n) })),
    ],
    LEGEND_TOP,
    WIDE.width,
  );
  const { size, grid } = plotLayout(legend.bottom);
  const option: ChartOption = {
    title: heading(
      "A newly published server's share of all calls (%) over time",
      `${fleets.join(" / ")} servers + 1 new; max connection age: ${ages.length > 0 ? ages.join(", ") : "none"}; ` +
        `bins of ${bins.map(seconds).join(" / ")}\n${runLine(report)}`,
    ),
    legend: legend.legend,
    grid,
    xAxis: { type: "value", min: 0, ...axisName("seconds since the new server was published (s)", 30) },
    yAxis: { type: "value", min: 0, ...axisName("share of all calls (%)", 50) },
    series: [
      ...all.map(({ name, timeline }, i) => ({
        name,
        type: "line" as const,
        step: "end" as const,
        color: color(timeline.mode),
        symbol: "none",
        // A second line of the same mode is dashed, so both read apart in one colour.
        lineStyle: { width: 2.5, type: all.slice(0, i).some((l) => l.timeline.mode === timeline.mode) ? ("dashed" as const) : ("solid" as const) },
        data: steps(timeline),
      })),
      // Named in the legend, not on the line: a label there would sit on the data.
      ...fleets.map((n) => {
        const fair = round(100 / (n + 1));
        return {
          name: fairName(n),
          type: "line" as const,
          color: GUIDE_COLOR,
          symbol: "none",
          silent: true,
          lineStyle: { type: "dashed" as const, width: 1.5 },
          data: [
            [0, fair],
            [maxSeconds, fair],
          ],
        };
      }),
    ],
  };
  return renderSvg("discovery", option, size);
}
