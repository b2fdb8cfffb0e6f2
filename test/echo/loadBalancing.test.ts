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
    // No connection ageing: a GOAWAY mid-run would take a server out of the
    // round_robin rotation for a moment, or move a pick_first client to another
    // server, depending on how long the run takes on a busy machine.
    cluster = await LocalCluster.start({ servers: 3, serverEnv: { MAX_CONNECTION_AGE_MS: "0" } });
    cleanup.add(() => cluster.stop());
  });
  after(() => cleanup.run());

  const run = (target: string, policy: string, requests: number) =>
    startClient({ ECHO_SERVICE_TARGET: target, ECHO_LB_POLICY: policy, ECHO_REQUESTS: String(requests), ECHO_INTERVAL_MS: "0" })
      .summary;

  it("clientside: round_robin through DNS rotates evenly over all 3 servers once all are READY", async () => {
    // Until every subchannel is READY, round_robin sends everything to those
    // that are: how long that takes is up to the machine, so the first calls'
    // spread is not asserted. Once the third server has answered, the picker
    // rotates strictly over the three; what can still skew the rest is calls
    // picked before the third joined but completing after (at most CONCURRENCY
    // in flight), plus one for the rotation's remainder.
    const CONCURRENCY = 4;
    const pods: string[] = [];
    const client = startClient(
      {
        ECHO_SERVICE_TARGET: cluster.headlessTarget,
        ECHO_LB_POLICY: "round_robin",
        ECHO_REQUESTS: "300",
        ECHO_INTERVAL_MS: "0",
        ECHO_CONCURRENCY: String(CONCURRENCY),
      },
      (event) => {
        if (event.event === "response") pods.push(event.pod);
      },
    );
    cleanup.add(() => client.stop());
    const summary = await client.summary;
    assert.equal(summary.ok, 300, `failed calls: ${JSON.stringify(summary)}`);
    assert.equal(pods.length, 300, "one response event per call");
    const servers = ["echo-server-1", "echo-server-2", "echo-server-3"];
    assert.deepEqual(Object.keys(summary.byBackend).sort(), servers);

    const seen = new Set<string>();
    const allIn = pods.findIndex((pod) => seen.add(pod).size === servers.length);
    const after = pods.slice(allIn + 1);
    const counts = Object.fromEntries(servers.map((s) => [s, after.filter((pod) => pod === s).length]));
    const even = after.length / servers.length;
    const detail = `all 3 answering from response ${allIn + 1}; the ${after.length} after: ${JSON.stringify(counts)}`;
    for (const [pod, calls] of Object.entries(counts)) {
      assert.ok(Math.abs(calls - even) <= CONCURRENCY + 1, `${pod}: ${calls}, not ${even.toFixed(1)} +/- ${CONCURRENCY + 1}; ${detail}`);
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
