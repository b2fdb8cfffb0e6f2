// `npm run demo` as CI sees it (no TTY): both verdicts hold, the new server is
// used by clientside clients only, and no process outlives the demo, also
// after Ctrl-C. Asserts verdicts, not timings.
import { strict as assert } from "node:assert";
import { Cleanup } from "../support/cleanup";
import { isRunning } from "../../lab/processes";
import { killLab, pidsIn, runLab } from "./labProcess";

describe("npm run demo", () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it("--duration 5 without a TTY: plain lines, l4 pinned, clientside spread incl. the new server, exit 0", async () => {
    const run = runLab("demo", ["--duration", "5"]);
    cleanup.add(() => killLab(run));
    const code = await run.exited;
    const out = run.stdout();
    assert.equal(code, 0, `exit ${code}\n${out}\n${run.stderr()}`);
    assert.ok(!out.includes("\x1b["), "ANSI escapes without a TTY");
    assert.match(out, /^\[\s*1\.0 s\] l4 /m, "no periodic plain lines");
    assert.match(out, /echo-server-4 published in both modes/);
    assert.match(out, /^ {2}l4 +PASS +each client pinned to 1 server .*echo-server-4 got 0 of their calls/m);
    assert.match(out, /^ {2}clientside +PASS +each client spread over all 4 servers/m);
    const pids = pidsIn(out, /^stopped \d+ processes/);
    assert.equal(pids.length, 12, "3+1 servers and 2 clients per mode");
    assert.deepEqual(pids.filter(isRunning), [], "processes left behind");
  });

  it("Ctrl-C (SIGINT) ends it at once and stops every process it started", async () => {
    const run = runLab("demo", ["--duration", "60"]);
    cleanup.add(() => killLab(run));
    const deadline = Date.now() + 30000;
    const going = /^\[\s*[\d.]+ s\] l4 /m;
    while (!going.test(run.stdout()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.match(run.stdout(), going, `the demo never got going:\n${run.stdout()}\n${run.stderr()}`);
    const sent = Date.now();
    run.child.kill("SIGINT");
    const code = await run.exited;
    assert.equal(code, 130);
    assert.ok(Date.now() - sent < 5000, `took ${Date.now() - sent} ms to stop`);
    const pids = pidsIn(run.stdout(), /^SIGINT: stopping/);
    assert.ok(pids.length >= 10, `PIDs listed: ${pids.join(" ")}`);
    assert.deepEqual(pids.filter(isRunning), [], "processes left behind");
  });
});
