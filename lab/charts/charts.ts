// Every chart from one scale report, and the check that committed charts are exactly
// what the report gives (they are generated, never edited by hand).
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { ScaleReport } from "../scaleReport";
import { capacityChart } from "./capacity";
import { discoveryChart } from "./discovery";
import { latencyChart } from "./latency";
import { readReport } from "./readReport";
import { shareChart } from "./share";

const CHARTS: Record<string, (report: ScaleReport) => string> = {
  "capacity.svg": capacityChart,
  "latency.svg": latencyChart,
  "share.svg": shareChart,
  "discovery.svg": discoveryChart,
};

export const CHART_FILES: readonly string[] = Object.keys(CHARTS);

/** File name -> the file's whole content; the same report gives the same bytes. */
export function renderCharts(report: ScaleReport): Map<string, string> {
  return new Map(Object.entries(CHARTS).map(([file, chart]) => [file, chart(report)]));
}

/** Charts in `dir` that are missing or differ from what `reportPath` gives; throws ReportError on a bad report. */
export function staleCharts(reportPath: string, dir: string): string[] {
  const stale: string[] = [];
  for (const [file, svg] of renderCharts(readReport(reportPath))) {
    let onDisk: string | undefined;
    try {
      onDisk = readFileSync(path.join(dir, file), "utf8");
    } catch {
      onDisk = undefined;
    }
    if (onDisk !== svg) stale.push(file);
  }
  return stale;
}
