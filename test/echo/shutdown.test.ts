// Graceful shutdown as Kubernetes drives it: SIGTERM, health turns
// NOT_SERVING, in-flight work finishes, clients move on without errors.
import { strict as assert } from "node:assert";
import { LocalCluster } from "../../lab/localCluster";
import { freePort, startClient, startServer } from "../../lab/processes";
import { Cleanup } from "../support/cleanup";
import { checkHealth, healthClient } from "../support/grpcClients";

describe("graceful shutdown", () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it("health is SERVING for '' and the echo service, then NOT_SERVING once SIGTERM arrives", async () => {
    const port = await freePort(["127.0.0.1"]);
    const server = await startServer({ name: "health", host: "127.0.0.1", port, env: { SHUTDOWN_GRACE_MS: "1500" } });
    cleanup.add(() => server.stop("SIGKILL"));
    const client = healthClient(`127.0.0.1:${port}`);
    cleanup.add(() => client.close());

    assert.equal(await checkHealth(client, ""), "SERVING");
    assert.equal(await checkHealth(client, "com.example.grpc.EchoService"), "SERVING");
    await assert.rejects(checkHealth(client, "no.such.Service"), /NOT_FOUND/);

    // A Watch stream stays open across the SIGTERM and must see the change.
    const seen: string[] = [];
    const watch = client.watch({ service: "" });
    const notServing = new Promise<void>((resolve, reject) => {
      watch.on("data", (update: { status: string }) => {
        seen.push(update.status);
        if (update.status === "SERVING") server.child.kill("SIGTERM");
        if (update.status === "NOT_SERVING") resolve();
      });
      watch.on("error", (error) => reject(new Error(`watch ended before NOT_SERVING (seen ${seen}): ${error.message}`)));
    });
    await notServing;
    assert.deepEqual(seen.slice(0, 2), ["SERVING", "NOT_SERVING"]);
    // The open Watch holds the drain until the grace period, then the server exits 0.
    assert.equal(await server.stop("SIGTERM", 10000), 0);
  });

  it("SIGTERM one of three servers under a round_robin client with retries: zero failed calls, exit 0", async () => {
    const cluster = await LocalCluster.start({ servers: 3 });
    cleanup.add(() => cluster.stop());
    let victimCalls = 0;
    let afterStop = 0;
    let stopping = false;
    const client = startClient(
      { ECHO_SERVICE_TARGET: cluster.headlessTarget, ECHO_LB_POLICY: "round_robin", ECHO_INTERVAL_MS: "5", ECHO_CONCURRENCY: "4" },
      (event) => {
        if (event.event !== "response") return;
        if (event.pod === "echo-server-2") victimCalls++;
        if (stopping) afterStop++;
      },
    );
    cleanup.add(() => client.stop());
    const deadline = Date.now() + 10000;
    while (victimCalls < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(victimCalls >= 20, "the server to stop never got traffic");

    // Kill the process directly: the client must cope with the GOAWAY alone.
    stopping = true;
    const started = Date.now();
    const code = await cluster.servers[1].stop("SIGTERM");
    const stopMs = Date.now() - started;
    await new Promise((r) => setTimeout(r, 1000));
    const summary = await client.stop();

    assert.equal(code, 0, "the server did not exit 0");
    assert.ok(stopMs < 10000, `the server took ${stopMs} ms, beyond its 10 s grace`);
    assert.ok(afterStop > 50, `the client made only ${afterStop} calls after the SIGTERM`);
    assert.equal(summary.failed, 0, `failed calls: ${JSON.stringify(summary)}`);
  });
});
