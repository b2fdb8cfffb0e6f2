// `npm run demo` as CI sees it (no TTY): every verdict holds, the new server is
// used by every mode whose calls spread (clientside, api, l7) and by no pinned
// client (l4), and no process outlives the demo, also after Ctrl-C; without haproxy
// the other modes run and one line says how to get it. Asserts verdicts, not timings.
import { strict as assert } from "node:assert";
import { MODES } from "../../components/mode";
import { Cleanup } from "../support/cleanup";
import { HAPROXY_ENV, HAPROXY_HINT } from "../../lab/haproxy";
import { discoveryOf, LAB_MODES, type LabMode, spreadsCalls } from "../../lab/modes";
import { isRunning } from "../../lab/processes";
import { requireEveryMode } from "./everyMode";
import { killLab, pidsIn, runLab } from "./labProcess";

/** Each mode's verdict line: pinned to 1 server and the new one unused, or spread over all 4. */
function assertVerdicts(out: string, modes: readonly LabMode[]): void {
  for (const mode of modes) {
    const verdict = spreadsCalls(mode) ? "each client spread over all 4 servers" : "each client pinned to 1 server .*echo-server-4 got 0 of their calls";
    assert.match(out, new RegExp(`^ {2}${mode} +PASS +${verdict}`, "m"), mode);
  }
  const verdicts = out.slice(out.indexOf("verdict:")).split("\n").filter((line) => /^ {2}\S+ +(PASS|FAIL) /.test(line));
  assert.equal(verdicts.length, modes.length, verdicts.join("\n"));
}

/** 3+1 servers and 2 clients per mode, and each mode's proxy. */
const processesOf = (modes: readonly LabMode[]) => modes.reduce((sum, mode) => sum + 6 + (discoveryOf(mode) === "proxy" ? 1 : 0), 0);

describe("npm run demo", () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  // Longer than mocha's global 60 s: the demo's own bounded waits (servers
  // start <= 15 s, every client answers <= 30 s, clients stop <= 20 s,
  // teardown <= 5 s) plus the run itself. A 5 s run took 19-22 s with two CPU
  // hogs beside it on 2 cores.
  const DEMO_TIMEOUT_MS = 150_000;

  it("--duration 10 without a TTY: plain lines, l4 pinned, clientside, api and l7 spread incl. the new server, exit 0", async function () {
    this.timeout(DEMO_TIMEOUT_MS);
    requireEveryMode();
    // 10 s, not less: the new server is published halfway and each clientside
    // client must re-resolve (servers age connections out after a quarter of the
    // run) and call it before the end. Half of 10 s leaves twice the slack of
    // half of 5 s for process scheduling and the 1 s DNS re-resolution limit.
    const run = runLab("demo", ["--duration", "10"]);
    cleanup.add(() => killLab(run));
    const code = await run.exited;
    const out = run.stdout();
    assert.equal(code, 0, `exit ${code}\n${out}\n${run.stderr()}`);
    assert.ok(!out.includes("\x1b["), "ANSI escapes without a TTY");
    // Any periodic line will do: when the first tick lands (1.0 s, 1.3 s, ...) is up to the scheduler.
    assert.match(out, /^\[\s*\d+\.\d s\] l4 /m, "no periodic plain lines");
    assert.match(out, /echo-server-4 published in every mode/);
    assertVerdicts(out, LAB_MODES);
    assert.doesNotMatch(out, /left out/);
    const pids = pidsIn(out, /^stopped \d+ processes/);
    assert.equal(pids.length, processesOf(LAB_MODES), "3+1 servers and 2 clients per mode, and HAProxy");
    assert.deepEqual(pids.filter(isRunning), [], "processes left behind");
  });

  it(`without haproxy (${HAPROXY_ENV}=/nonexistent): one line says how to get it, the other modes run and pass`, async function () {
    this.timeout(DEMO_TIMEOUT_MS);
    const run = runLab("demo", ["--duration", "10"], { [HAPROXY_ENV]: "/nonexistent" });
    cleanup.add(() => killLab(run));
    const code = await run.exited;
    const out = run.stdout();
    assert.equal(code, 0, `exit ${code}\n${out}\n${run.stderr()}`);
    const proxied = MODES.filter((mode) => discoveryOf(mode) === "proxy");
    const others = MODES.filter((mode) => !proxied.includes(mode));
    assert.ok(proxied.length > 0, "the mode table has a proxy mode");
    for (const mode of proxied) {
      const lines = out.split("\n").filter((line) => line.startsWith(`${mode} left out`));
      assert.deepEqual(lines, [`${mode} left out: ${HAPROXY_HINT}`], out);
      // Neither its panel ("l7: pick_first -> ...") nor its plain lines ("[  2.0 s] l7 client-1 ...").
      assert.doesNotMatch(out, new RegExp(`^${mode}: |^\\[[^\\]]*\\] ${mode} `, "m"), `${mode} ran:\n${out}`);
    }
    assertVerdicts(out, others);
    const pids = pidsIn(out, /^stopped \d+ processes/);
    assert.equal(pids.length, processesOf(others), "3+1 servers and 2 clients per mode that ran");
    assert.deepEqual(pids.filter(isRunning), [], "processes left behind");
  });

  it("Ctrl-C (SIGINT) ends it and stops every process it started", async function () {
    this.timeout(DEMO_TIMEOUT_MS);
    const run = runLab("demo", ["--duration", "60"]);
    cleanup.add(() => killLab(run));
    // Beyond the demo's own limits to get going (servers 15 s, first answers 30 s).
    const deadline = Date.now() + 60000;
    const going = /^\[\s*[\d.]+ s\] l4 /m;
    while (!going.test(run.stdout()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.match(run.stdout(), going, `the demo never got going:\n${run.stdout()}\n${run.stderr()}`);
    run.child.kill("SIGINT");
    // That it exits at all is guarded by this test's timeout; how fast is the scheduler's business.
    const code = await run.exited;
    assert.equal(code, 130, `exit ${code}\n${run.stdout()}\n${run.stderr()}`);
    const pids = pidsIn(run.stdout(), /^SIGINT: stopping/);
    assert.ok(pids.length >= 10, `PIDs listed: ${pids.join(" ")}`);
    assert.deepEqual(pids.filter(isRunning), [], "processes left behind");
  });
});
