// The retry budget: during an outage each client sends about one try per call
// instead of up to ECHO_RETRIES + 1, so a fleet of clients does not multiply
// the load on servers that are already failing.
import { strict as assert } from "node:assert";
import * as grpc from "@grpc/grpc-js";
import { freePort, startClient } from "../../lab/processes";
import { loadEchoProto } from "../../echo/proto";
import { MAX_RETRIES } from "../../echo/clientConfig";
import { Cleanup } from "../support/cleanup";

/** An echo server that answers every call UNAVAILABLE and counts the tries. */
async function failingServer(port: number): Promise<{ tries: () => number; stop: () => void }> {
  let tries = 0;
  const server = new grpc.Server();
  server.addService(loadEchoProto().service, {
    echo(_call: unknown, callback: grpc.sendUnaryData<unknown>) {
      tries++;
      callback({ code: grpc.status.UNAVAILABLE, details: "overloaded" });
    },
  });
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error) => (error ? reject(error) : resolve())),
  );
  return { tries: () => tries, stop: () => server.forceShutdown() };
}

describe("retry throttling", () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it(`${MAX_RETRIES} retries allowed, yet 20 calls that all fail cost far fewer than 20 x ${MAX_RETRIES + 1} tries`, async () => {
    const port = await freePort(["127.0.0.1"]);
    const server = await failingServer(port);
    cleanup.add(() => server.stop());
    const calls = 20;
    // Every loop makes one call, all at once: without a budget each would be tried 5 times.
    const client = startClient({
      ECHO_SERVICE_TARGET: `127.0.0.1:${port}`,
      ECHO_RETRIES: String(MAX_RETRIES),
      ECHO_CONCURRENCY: String(calls),
      ECHO_REQUESTS: String(calls),
    });
    cleanup.add(() => client.stop());
    const summary = await client.summary;
    assert.deepEqual([summary.total, summary.failed], [calls, calls]);
    // maxTokens 10: retries stop once the failures have taken the tokens below 5.
    assert.ok(server.tries() >= calls, `only ${server.tries()} tries for ${calls} calls`);
    assert.ok(server.tries() <= calls + 10, `${server.tries()} tries for ${calls} calls: retries are not throttled`);
  });
});
