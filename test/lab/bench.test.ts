// `npm run bench -- --quick`: the report has every figure the issue asks for,
// and the verdicts that do not depend on timing hold (l4 pinned, clientside
// spread over every server, a new server found). Timings are not asserted.
import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { BenchReport } from "../../lab/benchReport";
import { Cleanup } from "../support/cleanup";
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

    for (const mode of ["l4", "clientside"] as const) {
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
    assert.deepEqual(report.modes.l4.stickiness.backendsPerClient, [1, 1]);
    assert.deepEqual(report.modes.clientside.stickiness.backendsPerClient, [3, 3]);
    assert.ok(isNumber(report.modes.clientside.fairness.maxMinRatio));
    // The new server is used, at both connection ages.
    assert.equal(report.discovery.length, 2);
    for (const d of report.discovery) assert.ok(isNumber(d.discoveryMs) && isNumber(d.targetMs), JSON.stringify(d));
    // A frozen and a killed server, in each mode: figures, not timings.
    assert.deepEqual(
      report.chaos.map((c) => `${c.mode} ${c.fault}`).sort(),
      ["clientside freeze", "clientside kill", "l4 freeze", "l4 kill"],
    );
    for (const c of report.chaos) {
      assert.ok(c.callsAfter > 0 && isNumber(c.failedAfter) && isNumber(c.recoveryMs), JSON.stringify(c));
      assert.equal(c.clients.length, 2, `${c.mode} ${c.fault}: a figure per client`);
    }
    const o = report.serverOverhead;
    assert.ok([o.ours, o.bare, o.ratio].every(isNumber) && o.ratio > 0, JSON.stringify(o));
    assert.equal(report.targets.length, 13);
    assert.ok(report.machine.nproc > 0 && report.machine.cpu && report.machine.node);
  });
});
