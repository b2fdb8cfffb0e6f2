// The e2e reads each call from the client pods' JSON log lines, as the API server returns
// them with timestamps=true (`<RFC 3339 time with nanoseconds> <line>`). Here the real client
// writes those lines against real servers on loopback, so a change to the client's JSON
// records breaks this test, not only the e2e on a cluster.
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as readline from "node:readline";
import type { Summary } from "../../echo/callStats";
import { callsByServer, parseCalls } from "../../e2e/harness/clientCalls";
import { CLIENT_ENTRY, ServerProcess, freePort, startServer } from "../../lab/processes";
import { Cleanup } from "../support/cleanup";

/** The client's stdout, each line prefixed with its arrival time the way the kubelet's log does. */
function runClient(env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLIENT_ENTRY], {
      env: { ...process.env, ECHO_LOG_FORMAT: "json", ECHO_INTERVAL_MS: "0", ...env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const lines: string[] = [];
    readline.createInterface({ input: child.stdout }).on("line", (line) => {
      const now = new Date().toISOString().replace("Z", "123456Z"); // nanoseconds, as CRI writes them
      lines.push(`${now} ${line}`);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(lines.join("\n"));
      else reject(new Error(`client exited with ${code}`));
    });
  });
}

const summaryOf = (log: string) =>
  log.split("\n").map((line) => JSON.parse(line.slice(line.indexOf(" ") + 1)) as Summary & { event: string }).find((r) => r.event === "summary");

describe("e2e: the clients' calls read from their JSON log lines", () => {
  const cleanup = new Cleanup();
  let servers: ServerProcess[];

  before(async () => {
    servers = [];
    for (const name of ["server-a", "server-b"]) {
      const server = await startServer({ name, host: "127.0.0.1", port: await freePort(["127.0.0.1"]) });
      cleanup.add(() => server.stop());
      servers.push(server);
    }
  });
  after(() => cleanup.run());

  it("counts every answered call, with the pod that answered and its time", async () => {
    const started = Date.now();
    const log = await runClient({
      ECHO_SERVICE_TARGET: `ipv4:${servers.map((s) => `127.0.0.1:${s.port}`).join(",")}`,
      ECHO_LB_POLICY: "round_robin",
      ECHO_REQUESTS: "40",
    });
    const calls = parseCalls(log);
    const summary = summaryOf(log);
    assert.ok(summary, "the client printed no summary");
    assert.equal(calls.length, summary.total);
    assert.deepEqual(Object.fromEntries([...callsByServer(calls)].sort()), Object.fromEntries(Object.entries(summary.byBackend).sort()));
    assert.deepEqual([...callsByServer(calls).keys()].sort(), ["server-a", "server-b"]);
    assert.ok(calls.every((c) => c.at >= started - 1000 && c.at <= Date.now()), "every call has its line's time");
  });

  it("counts failed calls with their status code", async () => {
    const closed = await freePort(["127.0.0.1"]);
    const log = await runClient({ ECHO_SERVICE_TARGET: `ipv4:127.0.0.1:${closed}`, ECHO_REQUESTS: "3", ECHO_RETRIES: "0", ECHO_DEADLINE_MS: "500" });
    const calls = parseCalls(log);
    assert.equal(calls.length, 3);
    assert.ok(calls.every((c) => c.server === undefined && c.failed === "UNAVAILABLE"), JSON.stringify(calls));
  });
});
