// The point of the project, on loopback: round_robin over a headless name
// spreads requests; pick_first, and any client behind a per-connection
// balancer, stays on one server.
import { strict as assert } from "node:assert";
import { LocalCluster } from "../../lab/localCluster";
import { startClient } from "../../lab/processes";
import { Cleanup } from "../support/cleanup";

describe("load balancing modes (real servers, DNS and balancer on loopback)", () => {
  const cleanup = new Cleanup();
  let cluster: LocalCluster;

  before(async () => {
    cluster = await LocalCluster.start({ servers: 3 });
    cleanup.add(() => cluster.stop());
  });
  after(() => cleanup.run());

  const run = (target: string, policy: string, requests: number) =>
    startClient({ ECHO_SERVICE_TARGET: target, ECHO_LB_POLICY: policy, ECHO_REQUESTS: String(requests), ECHO_INTERVAL_MS: "0" })
      .summary;

  it("clientside: round_robin through DNS lands 100 +/- 10 of 300 calls on each of 3 servers", async () => {
    const summary = await run(cluster.headlessTarget, "round_robin", 300);
    assert.equal(summary.ok, 300, `failed calls: ${JSON.stringify(summary)}`);
    assert.deepEqual(Object.keys(summary.byBackend).sort(), ["echo-server-1", "echo-server-2", "echo-server-3"]);
    for (const [pod, calls] of Object.entries(summary.byBackend)) {
      assert.ok(Math.abs(calls - 100) <= 10, `${pod} got ${calls} of 300 calls: ${JSON.stringify(summary.byBackend)}`);
    }
  });

  it("clientside name with pick_first: all 300 calls land on one server", async () => {
    const summary = await run(cluster.headlessTarget, "pick_first", 300);
    assert.equal(summary.ok, 300);
    assert.equal(Object.keys(summary.byBackend).length, 1, JSON.stringify(summary.byBackend));
  });

  it("l4: three pick_first clients behind the per-connection balancer each stay on exactly one server", async () => {
    const summaries = await Promise.all([1, 2, 3].map(() => run(cluster.clusterIpTarget, "pick_first", 200)));
    for (const summary of summaries) {
      assert.equal(summary.ok, 200);
      assert.equal(Object.keys(summary.byBackend).length, 1, `a client was spread: ${JSON.stringify(summary.byBackend)}`);
    }
  });

  it("l4 even with round_robin: the balancer's one address is one backend to the client", async () => {
    const summary = await run(cluster.clusterIpTarget, "round_robin", 200);
    assert.equal(Object.keys(summary.byBackend).length, 1, JSON.stringify(summary.byBackend));
  });
});
