// Failed calls are counted and logged; the client backs off and keeps going.
import { strict as assert } from "node:assert";
import * as net from "node:net";
import { ClientEvent, freePort, startClient, startServer } from "../../lab/processes";
import { Cleanup } from "../support/cleanup";

describe("client facing failures", () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it("counts UNAVAILABLE calls against a closed port, logs each, and exits 0 with the summary", async () => {
    const port = await freePort(["127.0.0.1"]);
    const errors: ClientEvent[] = [];
    const client = startClient(
      { ECHO_SERVICE_TARGET: `127.0.0.1:${port}`, ECHO_REQUESTS: "3", ECHO_CONCURRENCY: "1", ECHO_RETRIES: "0" },
      (event) => event.event === "error" && errors.push(event),
    );
    cleanup.add(() => client.stop());
    const summary = await client.summary;
    assert.deepEqual([summary.total, summary.ok, summary.failed], [3, 0, 3]);
    assert.deepEqual(errors.map((e) => (e as { code: string }).code), ["UNAVAILABLE", "UNAVAILABLE", "UNAVAILABLE"]);
  });

  it("reports DEADLINE_EXCEEDED from a silent peer, then recovers when a real server takes the port", async () => {
    const port = await freePort(["127.0.0.1"]);
    // Accepts connections and never answers: every call runs into its deadline.
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(port, "127.0.0.1", resolve));
    const closeSilent = () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => silent.close(() => resolve()));
    };
    cleanup.add(() => silent.listening && closeSilent());

    const codes = new Set<string>();
    let ok = 0;
    const client = startClient(
      { ECHO_SERVICE_TARGET: `127.0.0.1:${port}`, ECHO_CONCURRENCY: "2", ECHO_INTERVAL_MS: "20", ECHO_DEADLINE_MS: "300", ECHO_RETRIES: "0" },
      (event) => {
        if (event.event === "error") codes.add(event.code);
        if (event.event === "response") ok++;
      },
    );
    cleanup.add(() => client.stop());
    const waitFor = async (condition: () => boolean, ms: number) => {
      const until = Date.now() + ms;
      while (!condition() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      return condition();
    };
    assert.ok(await waitFor(() => codes.has("DEADLINE_EXCEEDED"), 10000), `no DEADLINE_EXCEEDED reported (saw ${[...codes]})`);
    await closeSilent();
    const server = await startServer({ name: "late", host: "127.0.0.1", port });
    cleanup.add(() => server.stop("SIGKILL"));
    assert.ok(await waitFor(() => ok >= 5, 15000), `only ${ok} calls succeeded after the server started`);
    const summary = await client.stop();
    assert.ok(summary.failed >= 1 && summary.ok >= 5, JSON.stringify(summary));
    assert.deepEqual(Object.keys(summary.byBackend), ["late"]);
  });
});
