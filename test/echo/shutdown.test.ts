// Graceful shutdown as Kubernetes drives it: SIGTERM, health turns
// NOT_SERVING, in-flight work finishes, clients move on without errors.
import { strict as assert } from "node:assert";
import { LocalCluster } from "../../lab/localCluster";
import { freePort, startClient, startServer } from "../../lab/processes";
import { waitFor } from "../../lab/timing";
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
    assert.equal(await server.stop("SIGTERM", 30000), 0); // bound against a hang only
  });

  it("SIGTERM one of three servers under a round_robin client with retries: zero failed calls, exit 0", async () => {
    const cluster = await LocalCluster.start({ servers: 3 });
    cleanup.add(() => cluster.stop());
    let victimCalls = 0;
    let afterStop = 0;
    let afterExit = 0;
    let stopping = false;
    let exited = false;
    const client = startClient(
      { ECHO_SERVICE_TARGET: cluster.headlessTarget, ECHO_LB_POLICY: "round_robin", ECHO_INTERVAL_MS: "5", ECHO_CONCURRENCY: "4" },
      (event) => {
        if (event.event !== "response") return;
        if (event.pod === "echo-server-2") victimCalls++;
        if (stopping) afterStop++;
        if (exited) afterExit++;
      },
    );
    cleanup.add(() => client.stop());
    // Bounds only against a hang: how fast calls come is up to the machine.
    await waitFor(() => victimCalls >= 20, 30000, "20 calls to the server to stop");

    // Kill the process directly: the client must cope with the GOAWAY alone.
    const victim = cluster.servers[1];
    const outputClosed = new Promise((resolve) => victim.child.once("close", resolve));
    stopping = true;
    const code = await victim.stop("SIGTERM");
    exited = true;
    await outputClosed; // every line it printed has been read
    // The client keeps calling the other two, without a failure.
    await waitFor(() => afterExit >= 50, 30000, "50 calls after the server exited");
    const summary = await client.stop();

    assert.equal(code, 0, "the server did not exit 0");
    // Drained, not cut off at the end of its grace period: the server says which.
    assert.ok(victim.lines.includes("All calls finished; exiting"), `the drain did not finish by itself: ${victim.lines.slice(-3).join(" | ")}`);
    assert.ok(afterStop >= afterExit && afterExit >= 50, `calls after the SIGTERM ${afterStop}, after the exit ${afterExit}`);
    assert.equal(summary.failed, 0, `failed calls: ${JSON.stringify(summary)}`);
  });
});
