// `npm run bench -- --scale --quick`: the scale report has every figure issue 14
// asks for, at each scale and per mode, and the verdicts that do not depend on
// timing hold: an l4 client uses 1 server over 1 connection; a round_robin client
// (clientside, api) uses every server, one connection each; an l7 client every
// server over its 1 connection to the proxy; api reads slices; a
// fleet with a simulated cost never answers more than it can, nor more than was
// offered. Only a few bounds are on time: generous ones (a new client whose calls
// spread reaches 12 servers in 3 s, and a new server is called within 3.5 s of a 1 s age).
import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SCALE_QUICK } from "../../lab/benchScale";
import { LAB_MODES, discoveryOf, labSettings, spreadsCalls } from "../../lab/modes";
import type { ScaleReport } from "../../lab/scaleReport";
import { Cleanup } from "../support/cleanup";
import { requireEveryMode } from "./everyMode";
import { killLab, runLab } from "./labProcess";

describe("npm run bench -- --scale --quick", () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it("reports spread, connections, memory, capacity and discovery for every mode at every scale", async function () {
    // Took about 70 s on an idle 2-core machine; the bound only ends a hung run.
    this.timeout(5 * 60_000);
    requireEveryMode();
    const dir = mkdtempSync(path.join(os.tmpdir(), "grpc-lb-scale-"));
    cleanup.add(() => rmSync(dir, { recursive: true, force: true }));
    const out = path.join(dir, "scale.json");
    const run = runLab("bench", ["--scale", "--quick", "--out", out]);
    cleanup.add(() => killLab(run));
    assert.equal(await run.exited, 0, run.stderr());
    const report = JSON.parse(readFileSync(out, "utf8")) as ScaleReport;
    assert.equal(report.kind, "grpc-lb scale bench");
    assert.match(run.stderr(), /capacity: /);

    assert.deepEqual(
      report.scale.map((p) => `${p.servers} ${p.mode}`),
      SCALE_QUICK.servers.flatMap((n) => LAB_MODES.map((mode) => `${n} ${mode}`)),
    );
    for (const p of report.scale) {
      const what = `${p.servers} servers, ${p.mode}`;
      const pinned = !spreadsCalls(p.mode);
      // A round_robin channel connects to every server; a pick_first one to its one address (a server, the proxy).
      const connections = labSettings(p.mode).lbPolicy === "round_robin" ? p.servers : 1;
      assert.equal(p.callsPerServer.length, p.servers, what);
      assert.equal(p.backendsPerClient.length, SCALE_QUICK.point.clients, what);
      assert.deepEqual(new Set(p.backendsPerClient), new Set([pinned ? 1 : p.servers]), `${what}: servers per client`);
      assert.deepEqual(new Set(p.connectionsPerClient), new Set([connections]), `${what}: connections per client`);
      if (pinned) assert.equal(p.newClientAllServersMs, null, `${what}: a pinned client never reaches them all`);
      else assert.ok(p.newClientAllServersMs !== null && p.newClientAllServersMs > 0, `${what}: a new client reaches every server`);
      assert.equal(p.endpointSlices, discoveryOf(p.mode) === "kubernetes-api" ? 1 : undefined, what);
      assert.ok(p.memoryMiB.clientMedian > 0 && p.memoryMiB.serverMax >= p.memoryMiB.serverMedian, `${what}: memory`);
    }

    // DNS: past 28 records a UDP answer without EDNS0 is cut (TC); grpc-js asks again over TCP and gets all.
    assert.deepEqual(report.dns.map((d) => d.servers), SCALE_QUICK.dnsRecords);
    for (const d of report.dns) {
      const cut = d.servers > 28;
      assert.equal(d.truncatedNoEdns, cut, `${d.servers} records: TC`);
      assert.equal(d.udpRecordsNoEdns, cut ? 28 : d.servers, `${d.servers} records in 512 bytes`);
      assert.equal(d.grpcJsAddresses, d.servers, `${d.servers} records: grpc-js`);
      assert.ok(cut ? d.queriesTcp >= 1 : d.queriesTcp === 0, `${d.servers} records: ${d.queriesTcp} TCP queries`);
    }

    const c = report.capacity;
    assert.equal(c.fleetCapacityPerS, (c.servers * c.maxConcurrentCalls * 1000) / c.serviceTimeMs);
    for (const mode of LAB_MODES) {
      const points = c.points[mode];
      assert.equal(points.length, SCALE_QUICK.capacity.loads.length, mode);
      // Never more than offered (the clients start on schedule once connected, no burst), nor
      // than the fleet can answer (10% for how a short window's edges fall between calls).
      for (const p of points) {
        assert.ok(p.achievedPerS > 0 && p.achievedPerS <= p.offeredPerS * 1.1, `${mode}: ${JSON.stringify(p)}`);
        assert.ok(p.achievedPerS <= c.fleetCapacityPerS * 1.1, `${mode}: ${JSON.stringify(p)}`);
      }
      if (spreadsCalls(mode)) assert.equal(c.serversUsed[mode], c.servers, `${mode} uses the whole fleet`);
    }

    assert.deepEqual(report.discovery.map((d) => d.mode), [...LAB_MODES]);
    for (const d of report.discovery) {
      const pinned = !spreadsCalls(d.mode);
      assert.equal(d.newServerShare.length, SCALE_QUICK.timeline.observeMs / SCALE_QUICK.timeline.binMs, d.mode);
      if (pinned) assert.equal(d.firstCallMs, null, `${d.mode}: a connected pinned client never calls the new server`);
      else assert.ok(d.firstCallMs !== null, `${d.mode}: a client whose calls spread calls the new server`);
    }
  });
});
