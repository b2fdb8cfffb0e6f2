// The charts drawn from a scale report: each one an SVG with its titles and every mode
// of the report, the same bytes for the same report, staleness detected, and the CLI's
// answer to bad input. The report is a test fixture (made-up figures of plausible shape).
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { findProjectRoot } from "../../../components/projectRoot";
import { CHART_FILES, renderCharts, staleCharts } from "../../../lab/charts/charts";
import { checkReport } from "../../../lab/charts/readReport";
import type { CapacityPoint, ScalePoint, ScaleReport } from "../../../lab/scaleReport";

const ROOT = findProjectRoot(__dirname);
const FIXTURE = path.join(ROOT, "test", "lab", "charts", "fixtures", "scale-report.json");
const MAIN = path.join(__dirname, "..", "..", "..", "lab", "charts", "main.js");

function fixture(): ScaleReport {
  return JSON.parse(fs.readFileSync(FIXTURE, "utf8")) as ScaleReport;
}

/** Well-formed enough: one <svg> root, every tag closed in order. */
function assertSvg(file: string, svg: string): void {
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/, `${file}: no <svg> root`);
  assert.ok(svg.endsWith("</svg>\n"), `${file}: does not end with </svg>`);
  const open: string[] = [];
  for (const [, closing, name, selfClosing] of svg.matchAll(/<(\/?)([a-zA-Z][\w:-]*)[^>]*?(\/?)>/g)) {
    if (selfClosing) continue;
    if (!closing) open.push(name);
    else assert.equal(open.pop(), name, `${file}: </${name}> closes another tag`);
  }
  assert.deepEqual(open, [], `${file}: unclosed tags`);
}

/** Text drawn in the SVG (ECharts puts each label in a <text> element). */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1].replace(/&#39;/g, "'").replace(/&amp;/g, "&"));
}

function hasText(svg: string, wanted: string): boolean {
  return texts(svg).some((t) => t.includes(wanted));
}

describe("charts from the scale report", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "grpc-lb-charts-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("renders every chart as an SVG with its title, axes and every mode", () => {
    const charts = renderCharts(fixture());
    assert.deepEqual([...charts.keys()], ["capacity.svg", "latency.svg", "share.svg", "discovery.svg"]);
    const wanted: Record<string, string[]> = {
      "capacity.svg": ["Calls answered per second", "offered (calls/s)", "fleet capacity 4,000 calls/s", "l4: 8 of 20 servers used", "achieved = offered"],
      "latency.svg": ["Call latency (ms, log scale)", "latency (ms)", "solid: p99, dashed: p50", "fleet capacity", "service time 20 ms"],
      "share.svg": ["relative to a fair share", "10 servers", "100 servers", "82 idle, max 10.2x", "0 idle, max 1.0x"],
      "discovery.svg": ["newly published server", "seconds since", "l4: never called", "api: first call after 0.2 s", "clientside: first call after 27.4 s"],
    };
    for (const [file, svg] of charts) {
      assertSvg(file, svg);
      for (const text of [...wanted[file], "run 2026-12-10 09:00 UTC", "l4", "clientside", "api"]) {
        assert.ok(hasText(svg, text), `${file}: no text "${text}" in ${JSON.stringify(texts(svg))}`);
      }
    }
  });

  it("draws the modes the report has, not a fixed list", () => {
    const report = fixture();
    report.scale.push(...report.scale.filter((p) => p.mode === "api").map((p) => ({ ...p, mode: "xds" as ScalePoint["mode"] })));
    (report.capacity.points as Record<string, unknown>).xds = report.capacity.points.api;
    report.discovery.push({ ...report.discovery[2], mode: "xds" as ScalePoint["mode"] });
    for (const [file, svg] of renderCharts(report)) assert.ok(hasText(svg, "xds"), `${file}: no series for the 4th mode`);
  });

  it("gives the same bytes for the same report, whatever was rendered before", () => {
    const first = renderCharts(fixture());
    const other = fixture();
    other.capacity.fleetCapacityPerS = 3000;
    renderCharts(other);
    assert.deepEqual(renderCharts(fixture()), first);
  });

  it("staleCharts names charts that differ from the report or are missing", () => {
    for (const [file, svg] of renderCharts(fixture())) fs.writeFileSync(path.join(dir, file), svg);
    assert.deepEqual(staleCharts(FIXTURE, dir), []);
    fs.appendFileSync(path.join(dir, "latency.svg"), "<!-- edited by hand -->\n");
    fs.rmSync(path.join(dir, "discovery.svg"));
    assert.deepEqual(staleCharts(FIXTURE, dir), ["latency.svg", "discovery.svg"]);
  });

  it("the CLI writes every chart and says which files", () => {
    const run = spawnSync(process.execPath, [MAIN, "--report", FIXTURE, "--out", path.join(dir, "out")], { encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(run.stdout.trim().split("\n"), CHART_FILES.map((f) => `wrote ${path.join(dir, "out", f)}`));
    assert.deepEqual(staleCharts(FIXTURE, path.join(dir, "out")), []);
  });

  describe("the CLI on bad input: one line, exit 2, nothing written", () => {
    const cases: [string, string | null, RegExp][] = [
      ["a missing file", null, /^charts: cannot read .*nothing-here\.json: no such file$/],
      ["not JSON", "{ kind:", /^charts: .* is not JSON: /],
      ["another report's kind", JSON.stringify({ kind: "grpc-lb bench" }), /is not a scale report: kind is "grpc-lb bench", not "grpc-lb scale bench"$/],
      ["a field a chart needs missing", "p99", /is not a scale report: capacity\.points\.clientside\[1\]\.p99Ms is not a number$/],
      ["an empty list", "discovery", /is not a scale report: report\.discovery is not a non-empty array$/],
    ];
    for (const [what, content, message] of cases) {
      it(what, () => {
        const report = path.join(dir, what === "a missing file" ? "nothing-here.json" : "report.json");
        if (content === "p99") {
          const broken = fixture();
          delete (broken.capacity.points.clientside[1] as Partial<CapacityPoint>).p99Ms;
          fs.writeFileSync(report, JSON.stringify(broken));
        } else if (content === "discovery") {
          fs.writeFileSync(report, JSON.stringify({ ...fixture(), discovery: [] }));
        } else if (content !== null) {
          fs.writeFileSync(report, content);
        }
        const out = path.join(dir, "out");
        const run = spawnSync(process.execPath, [MAIN, "--report", report, "--out", out], { encoding: "utf8" });
        assert.equal(run.status, 2, `exit ${run.status}\n${run.stdout}${run.stderr}`);
        assert.equal(run.stderr.trimEnd().split("\n").length, 1, `not one line:\n${run.stderr}`);
        assert.match(run.stderr.trimEnd(), message);
        assert.equal(run.stdout, "");
        assert.ok(!fs.existsSync(out), "wrote into --out");
      });
    }
  });

  it("the fixture is a scale report", () => {
    assert.doesNotThrow(() => checkReport(fixture()));
  });

  // The README shows these: they must be what the committed report gives.
  it("the committed charts are what the committed report gives", () => {
    const committed = path.join(ROOT, "docs", "bench", "scale-report.json");
    assert.ok(fs.existsSync(committed), `${committed} is missing: run npm run bench -- --scale --out docs/bench/scale-report.json`);
    assert.deepEqual(staleCharts(committed, path.dirname(committed)), [], "regenerate with `npm run charts`, never edit by hand");
  });
});
