// The one place that calls ECharts: renders an option to an SVG string on the server
// (no canvas, no DOM) with the style every chart shares, and makes the output the
// same bytes for the same option, so committed charts can be checked against the report.
import * as echarts from "echarts";

export type ChartOption = echarts.EChartsOption;

export interface Size {
  width: number;
  height: number;
}

/** About what GitHub shows at full width in a README without scaling text down. */
export const WIDE: Size = { width: 820, height: 420 };

export const FONT_FAMILY = "Helvetica, Arial, sans-serif";
export const TEXT_COLOR = "#222";
export const MUTED_COLOR = "#666";
export const GUIDE_COLOR = "#888";

// Okabe-Ito: tells the modes apart also for colour-blind readers; l4 gets the warm one.
const PALETTE = ["#D55E00", "#0072B2", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#000000", "#F0E442"];

const SYMBOLS = ["circle", "rect", "triangle", "diamond", "emptyCircle", "emptyRect", "emptyTriangle", "emptyDiamond"];

export function colorAt(index: number): string {
  return PALETTE[index % PALETTE.length];
}

export function symbolAt(index: number): string {
  return SYMBOLS[index % SYMBOLS.length];
}

/** `name` prefixes the SVG's ids: two charts inlined in one page do not share ids. */
export function renderSvg(name: string, option: ChartOption, size: Size = WIDE): string {
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width: size.width, height: size.height });
  try {
    chart.setOption({
      animation: false,
      backgroundColor: "#ffffff",
      textStyle: { fontFamily: FONT_FAMILY, fontSize: 13, color: TEXT_COLOR },
      ...option,
    });
    return `${canonicalIds(chart.renderToSVGString(), name)}\n`;
  } finally {
    chart.dispose();
  }
}

/**
 * zrender numbers its painters ("zr3-") and CSS classes ("-cls-17") with process-wide
 * counters, so a chart's ids depend on what was rendered before it. Renumbering them
 * in order of appearance makes the output depend on the option alone.
 */
export function canonicalIds(svg: string, prefix: string): string {
  const classes = new Map<string, number>();
  return svg
    .replace(/\bzr\d+-cls-\d+\b/g, (id) => {
      if (!classes.has(id)) classes.set(id, classes.size);
      return `${prefix}-cls-${classes.get(id)}`;
    })
    .replace(/\bzr\d+-/g, `${prefix}-`);
}

/** Title top left: what and the units; the subtitle (may hold "\n") says where from. */
export function heading(text: string, subtext: string): ChartOption["title"] {
  return {
    text,
    subtext,
    left: 16,
    top: 10,
    itemGap: 6,
    textStyle: { fontSize: 17, fontWeight: "bold", color: TEXT_COLOR },
    subtextStyle: { fontSize: 12, color: MUTED_COLOR, lineHeight: 16 },
  };
}

/** Axis name centred along the axis, clear of the tick labels. */
export function axisName(name: string, gap: number): { name: string; nameLocation: "middle"; nameGap: number; nameTextStyle: object } {
  return { name, nameLocation: "middle", nameGap: gap, nameTextStyle: { fontSize: 13, color: TEXT_COLOR } };
}

export interface LegendEntry {
  /** The series' name. */
  name: string;
  /** What the legend shows for it; the name when absent. */
  label?: string;
}

export interface Legends {
  legend: ChartOption["legend"];
  /** y just below the last row. */
  bottom: number;
}

const LEGEND_FONT = 13;
const LEGEND_ROW = 22;
const LEGEND_ICON = 22;
const LEGEND_GAP = 24;

/**
 * One legend component per entry, placed by us. ECharts places entries by its own
 * estimate of text widths, narrower than fonts a viewer may have (DejaVu Sans on
 * Linux): entries ran into each other and past the right edge. Here each character
 * counts 0.48 em, more than DejaVu Sans takes (0.42 em in our labels), and rows break on that.
 */
export function legends(entries: LegendEntry[], top: number, width: number): Legends {
  const margin = 16;
  const placed: { entry: LegendEntry; left: number; row: number }[] = [];
  let x = margin;
  let row = 0;
  for (const entry of entries) {
    const w = LEGEND_ICON + 5 + LEGEND_FONT * 0.48 * (entry.label ?? entry.name).length;
    if (x > margin && x + w > width - margin) {
      row += 1;
      x = margin;
    }
    placed.push({ entry, left: Math.round(x), row });
    x += w + LEGEND_GAP;
  }
  const legend = placed.map(({ entry, left, row }) => ({
    top: top + row * LEGEND_ROW,
    left,
    data: [entry.name],
    formatter: () => entry.label ?? entry.name,
    itemWidth: LEGEND_ICON,
    itemHeight: 10,
    textStyle: { fontSize: LEGEND_FONT, color: TEXT_COLOR },
  }));
  return { legend, bottom: top + (row + 1) * LEGEND_ROW };
}

/** Where the legend starts, below a title with a two-line subtitle. */
export const LEGEND_TOP = 76;

/** A one-grid chart's size and plot area: the plot keeps its height however many legend rows there are. */
export function plotLayout(legendBottom: number): { size: Size; grid: { top: number; left: number; right: number; bottom: number } } {
  const top = legendBottom + 18;
  return { size: { width: WIDE.width, height: WIDE.height + top - 116 }, grid: { top, left: 84, right: 36, bottom: 58 } };
}

/** The next round number (1, 1.2, 1.5, 2, ... 8 times a power of ten): an axis end without much empty space. */
export function niceCeil(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].find((s) => s * power >= value * (1 - 1e-9)) ?? 10;
  return step * power;
}
