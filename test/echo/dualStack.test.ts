// Without HOST the server listens on "::", which Linux makes dual-stack: one
// server answers IPv6 clients (IPv6-only clusters exist) and IPv4 clients alike.
import { strict as assert } from "node:assert";
import { startEchoServer } from "../../echo/echoServer";
import { readServerConfig } from "../../echo/serverConfig";
import { Cleanup } from "../support/cleanup";
import { echo, echoClient } from "../support/grpcClients";

describe("server address (no HOST set)", () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it("answers on ::1 and on 127.0.0.1 from one listening socket", async () => {
    const server = await startEchoServer(readServerConfig({ PORT: "0", POD_NAME: "dual-stack", KEEPALIVE_TIME_MS: "0" }));
    cleanup.add(() => server.shutdown(0));
    assert.equal(server.address, `[::]:${server.port}`);
    for (const address of [`ipv6:[::1]:${server.port}`, `ipv4:127.0.0.1:${server.port}`]) {
      const client = echoClient(address);
      cleanup.add(() => client.close());
      const response = await echo(client, `over ${address}`);
      assert.equal(response.podName, "dual-stack", address);
    }
  });
});
