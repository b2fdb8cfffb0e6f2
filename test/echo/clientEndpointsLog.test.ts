// A client of a kubernetes: target logs each change of its endpoint set: the servers it
// starts with, and a new one as soon as the EndpointSlices list it (the lab's stand-in
// API server, real echo servers on loopback).
import { strict as assert } from "node:assert";
import { LocalCluster } from "../../lab/localCluster";
import { clientEnv } from "../../lab/modes";
import { ClientEvent, startClient } from "../../lab/processes";
import { Cleanup } from "../support/cleanup";
import { poll } from "../support/poll";

describe("client: endpoint set changes in the log (kubernetes: target)", () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it("logs the endpoints it starts with and each change, and calls a new server", async () => {
    const cluster = await LocalCluster.start({ servers: 2, kubeApi: true });
    cleanup.add(() => cluster.stop());
    const events: ClientEvent[] = [];
    const client = startClient(clientEnv("api", cluster, { ECHO_INTERVAL_MS: "20", ECHO_CONCURRENCY: "2" }), (event) => events.push(event));
    cleanup.add(() => client.stop());
    const sets = () => events.flatMap((e) => (e.event === "endpoints" ? [e.endpoints ?? []] : []));
    const address = (i: number) => `${cluster.servers[i].host}:${cluster.servers[i].port}`;

    await poll("the first endpoint set", 100, 100, async () => (sets().length > 0 ? true : undefined));
    assert.deepEqual(sets()[0], [address(0), address(1)].sort());
    const added = await cluster.addServer();
    await poll("the new endpoint set", 100, 100, async () => (sets().length > 1 ? true : undefined));
    assert.deepEqual(sets()[1], [address(0), address(1), address(2)].sort());
    await poll(`a call answered by ${added.name}`, 100, 100, async () =>
      events.some((e) => e.event === "response" && e.pod === added.name) ? true : undefined,
    );
    const summary = await client.stop();
    assert.equal(summary.failed, 0);
  });

  it("resolves a numeric-port target itself even with a proxy in the environment", async () => {
    // grpc-js would hand `kubernetes:///svc.ns:<number>` to the proxy and never ask the
    // resolver; the proxy here is a closed port, so any call through it fails.
    const cluster = await LocalCluster.start({ servers: 2, kubeApi: true });
    cleanup.add(() => cluster.stop());
    const client = startClient(
      clientEnv("api", cluster, {
        ECHO_SERVICE_TARGET: `kubernetes:///echo-server.grpc-lb:${cluster.port}`,
        ECHO_REQUESTS: "20",
        ECHO_INTERVAL_MS: "0",
        ECHO_RETRIES: "0",
        grpc_proxy: "http://127.0.0.1:9",
        http_proxy: "http://127.0.0.1:9",
      }),
    );
    cleanup.add(() => client.stop());
    const summary = await client.summary;
    assert.deepEqual([summary.ok, summary.failed], [20, 0]);
    assert.deepEqual(Object.keys(summary.byBackend).sort(), cluster.servers.map((s) => s.name).sort());
  });
});
