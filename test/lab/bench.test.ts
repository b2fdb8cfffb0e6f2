// `npm run bench -- --quick`: the report has every figure the issue asks for,
// and the verdicts that do not depend on timing hold (l4 pinned, clientside, api
// and l7 spread over every server, a new server found by the clients whose calls
// spread and never by a connected pinned one, the proxy's hop measured against
// clientside at every offered load). Timings are not asserted.
import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { BenchReport } from "../../lab/benchReport";
import { LAB_MODES, maxConnectionAgeMs, spreadsCalls } from "../../lab/modes";
import { unpublishTargetMs } from "../../lab/benchReport";
import { Cleanup } from "../support/cleanup";
import { requireEveryMode } from "./everyMode";
import { killLab, runLab } from "./labProcess";

const BENCH_TIMEOUT_MS = 5 * 60_000;

const isNumber = (value: unknown) => typeof value === "number" && Number.isFinite(value);

describe("npm run bench -- --quick", () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it("writes the same JSON report to stdout and --out, with every figure and the targets", async function () {
    // Not mocha's global 60 s: the QUICK plan runs its phases one after another
    // (each mode's load with a warm-up and >= 300 calls, the overhead rounds,
    // then the rolling restarts beside the discovery waits of up to one 2 s
    // connection age + 10 s, then a frozen and a killed server per mode, 6.5 s
    // each), each starting and stopping real processes. It took 43-55 s on an
    // idle 2-core machine; 5 minutes leaves room for a loaded or slower
    // machine while still ending a hung run.
    this.timeout(BENCH_TIMEOUT_MS);
    requireEveryMode();
    const dir = mkdtempSync(path.join(os.tmpdir(), "grpc-lb-bench-"));
    cleanup.add(() => rmSync(dir, { recursive: true, force: true }));
    const out = path.join(dir, "report.json");
    const run = runLab("bench", ["--quick", "--out", out]);
    cleanup.add(() => killLab(run));
    const code = await run.exited;
    assert.equal(code, 0, `exit ${code}\n${run.stderr()}`);
    const report = JSON.parse(readFileSync(out, "utf8")) as BenchReport;
    assert.deepEqual(JSON.parse(run.stdout()), report);
    assert.match(run.stderr(), /targets:/);

    assert.deepEqual(Object.keys(report.modes), [...LAB_MODES]);
    for (const mode of LAB_MODES) {
      const m = report.modes[mode];
      assert.ok(m.fairness.calls >= 300 && isNumber(m.fairness.cv), `${mode} fairness`);
      assert.equal(Object.keys(m.fairness.byBackend).length, 3, `${mode} calls per backend`);
      assert.ok([m.throughput.callsPerS, m.throughput.p50Ms, m.throughput.p99Ms].every(isNumber), `${mode} throughput`);
      for (const r of [m.rollingRestart.withRetries, m.rollingRestart.withoutRetries]) {
        assert.ok(r.calls > 0 && isNumber(r.failed), `${mode} rolling restart`);
        assert.equal(r.exitCodes.length, 2, `${mode}: every server replaced`);
      }
    }
    // Verdicts: pinned vs spread.
    for (const mode of LAB_MODES) {
      const pinned = !spreadsCalls(mode);
      assert.deepEqual(report.modes[mode].stickiness.backendsPerClient, pinned ? [1, 1] : [3, 3], mode);
      if (!pinned) assert.ok(isNumber(report.modes[mode].fairness.maxMinRatio), mode);
    }
    // Discovery: once per mode, at both connection ages where servers age connections out.
    // A client whose calls spread finds the new server; a connected pinned one never does.
    assert.deepEqual(
      report.discovery.map((d) => d.mode),
      LAB_MODES.flatMap((mode) => (maxConnectionAgeMs(mode, 1000) > 0 ? [mode, mode] : [mode])),
    );
    for (const d of report.discovery) {
      const pinned = !spreadsCalls(d.mode);
      assert.ok(pinned ? d.discoveryMs === null && d.targetMs === null : isNumber(d.discoveryMs) && isNumber(d.targetMs), JSON.stringify(d));
      assert.ok(isNumber(d.callsAfterUnpublish), JSON.stringify(d));
      assert.ok(d.lastCallAfterUnpublishMs === null || isNumber(d.lastCallAfterUnpublishMs), JSON.stringify(d));
    }
    // A frozen and a killed server, in each mode: figures, not timings.
    assert.deepEqual(
      report.chaos.map((c) => `${c.mode} ${c.fault}`).sort(),
      LAB_MODES.flatMap((mode) => [`${mode} freeze`, `${mode} kill`]).sort(),
    );
    for (const c of report.chaos) {
      assert.ok(c.callsAfter > 0 && isNumber(c.failedAfter) && isNumber(c.recoveryMs), JSON.stringify(c));
      assert.equal(c.clients.length, 2, `${c.mode} ${c.fault}: a figure per client`);
    }
    // The hop: the direct and the proxied mode at the same offered loads on one fleet.
    const hop = report.hop!;
    assert.ok(hop, `no hop figures: ${report.hopSkipped}`);
    assert.ok(spreadsCalls(hop.direct) && spreadsCalls(hop.proxied) && hop.direct !== hop.proxied, JSON.stringify(hop));
    const offered = hop.sweep.points[hop.direct].map((p) => p.offeredPerS);
    assert.equal(offered.length, 2, "the quick plan's two loads");
    assert.deepEqual(hop.sweep.points[hop.proxied].map((p) => p.offeredPerS), offered, "the same offered loads");
    for (const mode of [hop.direct, hop.proxied]) {
      for (const p of hop.sweep.points[mode]) assert.ok(p.achievedPerS > 0 && isNumber(p.p50Ms) && isNumber(p.p99Ms), `${mode}: ${JSON.stringify(p)}`);
      assert.equal(hop.sweep.serversUsed[mode], hop.sweep.servers, `${mode} uses the whole fleet`);
      assert.ok(hop.capacityPerS[mode] > 0, mode);
    }
    assert.equal(hop.ratios.p50.length, 2);
    assert.ok([...hop.ratios.p50, ...hop.ratios.p99, hop.ratios.capacity].every((r) => isNumber(r) && r > 0), JSON.stringify(hop.ratios));
    assert.match(run.stderr(), /^hop cost, /m);
    const o = report.serverOverhead;
    assert.ok([o.ours, o.bare, o.ratio].every(isNumber) && o.ratio > 0, JSON.stringify(o));
    // Per mode: calls measured, a rolling restart; per spread mode a max/min share, per
    // pinned one backends per client; per discovery run a first call; per run of a mode
    // that bounds an unpublished server's calls (api, l7) the last one; per chaos run a
    // recovery; the hop's capacity ratio; and the server overhead.
    const boundedRuns = report.discovery.filter((d) => unpublishTargetMs(d.mode) !== null).length;
    assert.ok(boundedRuns > 0, "api and l7 bound an unpublished server's calls");
    assert.equal(report.targets.length, 2 * LAB_MODES.length + LAB_MODES.length + report.discovery.length + boundedRuns + report.chaos.length + 1 + 1);
    assert.ok(report.machine.nproc > 0 && report.machine.cpu && report.machine.node);
  });
});
