// The peer benchmark (lab/benchPeers.ts) gives real figures for both servers on
// a tiny run, reads ghz's report right, and says what is missing instead of
// failing when its tools cannot be built. Needs Go (ghz) and a JDK 17+ with
// Maven (the Java peer), as test:grpcurl and test:interop do: without them the
// first test FAILS with the reason, it is never skipped.
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { measurePeers, PeerResult } from "../../lab/benchPeers";
import { parseGhzReport } from "../../lab/ghzRound";
import { livePids } from "../../lab/processes";
import type { PeerComparison } from "../../lab/scaleReport";
import { runToolScript } from "../../lab/toolScript";

const DIST = path.join(__dirname, "..", "..");
// The first build of ghz takes about a minute here, and more on a cold module
// cache; the Java peer's Maven build 10-30 s. Built once, before the timed test.
const BUILD_MS = 20 * 60_000;

describe("peer benchmark: our server against the grpc-java one", () => {
  let ghz = "";
  let javaClasspath = "";

  before(async function () {
    this.timeout(BUILD_MS);
    const log = (line: string) => process.stderr.write(`      ${line}\n`);
    const [builtGhz, builtJava] = [await runToolScript("ghz.sh", BUILD_MS, log), await runToolScript("java-peer.sh", BUILD_MS, log)];
    if (!builtGhz.ok) throw new Error(`ghz is needed and could not be built: ${builtGhz.reason}`);
    if (!builtJava.ok) throw new Error(`the grpc-java peer is needed and could not be built: ${builtJava.reason}`);
    ghz = builtGhz.output;
    javaClasspath = builtJava.output;
  });

  it("measures both on a 1-round run of 1 s: calls/s, p99, RSS, start to serving, finite ratios", async function () {
    // About 15 s here: two starts, a warm-up, an unthrottled and a measured round of 1 s each per server.
    this.timeout(60_000);
    const result: PeerResult = await measurePeers({ rounds: 1, seconds: 1, ghz, javaClasspath });
    assert.ok(!("skipped" in result), `skipped: ${"skipped" in result ? result.skipped : ""}`);
    const peers = result as PeerComparison;
    assert.equal(peers.rounds, 1);
    assert.ok(peers.offeredPerS >= 100, `offered ${peers.offeredPerS}`);
    assert.match(peers.tool, /^ghz v0\.93\.0, -c 16 --connections 4/);
    for (const side of ["ours", "java"] as const) {
      const f = peers[side];
      assert.equal(f.callsPerS.length, 1, side);
      assert.equal(f.p99Ms.length, 1, side);
      assert.ok(f.callsPerS[0] > 0, `${side} calls/s ${f.callsPerS[0]}`);
      assert.ok(f.p99Ms[0] > 0, `${side} p99 ${f.p99Ms[0]}`);
      assert.ok(f.rssMiB > 0, `${side} RSS ${f.rssMiB}`);
      assert.ok(f.startToServingMs > 0, `${side} start to serving ${f.startToServingMs}`);
    }
    for (const [name, value] of Object.entries(peers.ratios)) assert.ok(Number.isFinite(value) && value > 0, `ratio ${name}: ${value}`);
    assert.deepEqual(livePids(), [], "every process it started has exited");
  });

  it("reads ghz's JSON report: OK calls per second of the run, latencies in ms", () => {
    const report = {
      count: 300,
      total: 2e9,
      statusCodeDistribution: { OK: 290, Unavailable: 10 },
      latencyDistribution: [
        { percentage: 50, latency: 1_500_000 },
        { percentage: 99, latency: 12_250_000 },
      ],
    };
    assert.deepEqual(parseGhzReport(JSON.stringify(report)), {
      okPerS: 145,
      p50Ms: 1.5,
      p99Ms: 12.25,
      statusCodes: { OK: 290, Unavailable: 10 },
    });
    // No call answered: ghz leaves the latencies out, and that is an error, not zeros.
    assert.throws(() => parseGhzReport(JSON.stringify({ count: 5, total: 1e9, statusCodeDistribution: { Unavailable: 5 } })), /without a duration or latencies/);
  });

  it("without Go and no cached ghz: { skipped } naming what is missing", function () {
    this.timeout(30_000);
    // A PATH with bash and dirname only (no go, java or mvn) and an empty tool cache.
    const dir = mkdtempSync(path.join(os.tmpdir(), "grpc-lb-peers-"));
    try {
      const bin = path.join(dir, "bin");
      spawnSync("mkdir", [bin]);
      for (const tool of ["bash", "dirname"]) {
        const found = spawnSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
        assert.ok(found, `${tool} not found`);
        symlinkSync(found, path.join(bin, tool));
      }
      const script = `require("./lab/benchPeers").measurePeers({ rounds: 1, seconds: 1 })
        .then((r) => console.log(JSON.stringify(r)), (e) => { console.error(e); process.exit(3); });`;
      const run = spawnSync(process.execPath, ["-e", script], {
        cwd: DIST,
        encoding: "utf8",
        env: { PATH: bin, HOME: dir, XDG_CACHE_HOME: path.join(dir, "cache") },
        timeout: 20_000,
      });
      assert.equal(run.status, 0, `exit ${run.status}\n${run.stderr}`);
      const result = JSON.parse(run.stdout) as PeerResult;
      assert.ok("skipped" in result, `not skipped: ${run.stdout}`);
      assert.match(result.skipped, /^ghz could not be built: \[ghz\] go not found on PATH: building ghz v0\.93\.0 needs Go/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
