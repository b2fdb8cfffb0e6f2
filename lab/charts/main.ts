// `npm run charts -- [--report FILE] [--out DIR]`: draws the scale report's charts as
// SVG files. Exit 2 on bad input (no file, not a scale report), having written nothing.
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { renderCharts } from "./charts";
import { readReport, ReportError } from "./readReport";

const USAGE = "usage: npm run charts -- [--report FILE] [--out DIR]   (defaults: docs/bench/scale-report.json, docs/bench)";

function fail(message: string): never {
  console.error(`charts: ${message}`);
  process.exit(2);
}

function main(): void {
  let values: { report?: string; out?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ options: { report: { type: "string" }, out: { type: "string" }, help: { type: "boolean" } } }));
  } catch (err) {
    fail(`${(err as Error).message}; ${USAGE}`);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const reportPath = values.report ?? path.join("docs", "bench", "scale-report.json");
  const outDir = values.out ?? path.join("docs", "bench");
  let charts: Map<string, string>;
  try {
    // Everything is rendered before the first file is written: bad input leaves no half set.
    charts = renderCharts(readReport(reportPath));
  } catch (err) {
    if (err instanceof ReportError) fail(err.message);
    throw err;
  }
  mkdirSync(outDir, { recursive: true });
  for (const [file, svg] of charts) {
    const target = path.join(outDir, file);
    writeFileSync(target, svg);
    console.log(`wrote ${target}`);
  }
}

main();
