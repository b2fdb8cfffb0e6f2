// `node dist/echo/resolve.js <target> [--once]`: one JSON line per result a client's
// resolver would give its channel, for grpc-js's own schemes and for kubernetes: (against
// the stand-in API server on loopback).
import { strict as assert } from "node:assert";
import { ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import * as readline from "node:readline";
import { endpointSlice } from "../../lab/kubeApiStandIn";
import { Cleanup } from "../support/cleanup";
import { poll } from "../support/poll";
import { startApiFixture } from "./kubernetes/apiFixture";

const RESOLVE = path.join(__dirname, "..", "..", "echo", "resolve.js");
const TARGET = "kubernetes:///echo-server.demo:grpc";

interface Run {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
}

function resolve(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [RESOLVE, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const lines: Record<string, unknown>[] = [];
  readline.createInterface({ input: child.stdout! }).on("line", (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => (clearTimeout(timer), done(code))));
  return { child, lines, exited };
}

const slice = (ips: string[]) => endpointSlice({ name: "echo-server-a", endpoints: ips.map((ip) => ({ ip })), ports: [{ name: "grpc", port: 8080 }] });

describe("resolve.js", () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it("prints what grpc-js's own resolver gives for an ipv4: target, once", async () => {
    const run = resolve(["--once", "ipv4:127.0.0.1:8080,127.0.0.2:9090"]);
    assert.equal(await run.exited, 0);
    assert.deepEqual(run.lines, [{ event: "resolved", target: "ipv4:127.0.0.1:8080,127.0.0.2:9090", endpoints: ["127.0.0.1:8080", "127.0.0.2:9090"] }]);
  });

  it("refuses a call without one target, with the usage", async () => {
    const run = resolve([]);
    assert.equal(await run.exited, 2);
    assert.deepEqual(run.lines, []);
  });

  it("follows a kubernetes: target's EndpointSlices, one line per change, until SIGTERM", async () => {
    const fixture = await startApiFixture(cleanup);
    fixture.api.putSlice("demo", "echo-server", slice(["10.0.0.1", "10.0.0.2"]));
    const run = resolve([TARGET], fixture.env());
    cleanup.add(() => run.child.kill("SIGKILL"));
    await poll("the first result", 100, 100, async () => (run.lines.length >= 1 ? true : undefined));
    fixture.api.putSlice("demo", "echo-server", slice(["10.0.0.1", "10.0.0.2", "10.0.0.3"]));
    await poll("the change", 100, 100, async () => (run.lines.length >= 2 ? true : undefined));
    run.child.kill("SIGTERM");
    assert.equal(await run.exited, 0);
    assert.deepEqual(run.lines, [
      { event: "resolved", target: TARGET, endpoints: ["10.0.0.1:8080", "10.0.0.2:8080"] },
      { event: "resolved", target: TARGET, endpoints: ["10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080"] },
    ]);
  });

  it("prints the API's refusal as the error the calls would get, and exits 1 with --once", async () => {
    const fixture = await startApiFixture(cleanup);
    fixture.api.forbid("demo");
    const run = resolve(["--once", TARGET], fixture.env());
    assert.equal(await run.exited, 1);
    assert.equal(run.lines.length, 1);
    const [line] = run.lines as { event: string; code: string; message: string }[];
    assert.equal(line.event, "error");
    assert.equal(line.code, "UNAVAILABLE");
    assert.match(line.message, /403/);
    assert.match(line.message, /endpointslices/);
  });
});
