// Why MAX_CONNECTION_AGE_MS exists: grpc-js re-resolves DNS only when a
// connection drops, so without it a round_robin client never finds a new pod.
import { strict as assert } from "node:assert";
import { LocalCluster } from "../../lab/localCluster";
import { startClient } from "../../lab/processes";
import { Cleanup } from "../support/cleanup";

const WINDOW_MS = 5000;

/** Runs a round_robin client on 2 servers, adds a 3rd, and returns the calls it got within the window. */
async function callsToNewServer(maxConnectionAgeMs: number, cleanup: Cleanup): Promise<number> {
  const cluster = await LocalCluster.start({
    servers: 2,
    serverEnv: { MAX_CONNECTION_AGE_MS: String(maxConnectionAgeMs), MAX_CONNECTION_AGE_GRACE_MS: "1000" },
  });
  cleanup.add(() => cluster.stop());
  let warmedUp: () => void = () => {};
  const warm = new Promise<void>((resolve) => (warmedUp = resolve));
  let calls = 0;
  let newServerCalls = 0;
  const client = startClient(
    { ECHO_SERVICE_TARGET: cluster.headlessTarget, ECHO_LB_POLICY: "round_robin", ECHO_INTERVAL_MS: "20", ECHO_CONCURRENCY: "2" },
    (event) => {
      if (event.event !== "response") return;
      if (++calls === 20) warmedUp();
      if (event.pod === "echo-server-3") newServerCalls++;
    },
  );
  cleanup.add(() => client.stop());
  await warm;
  await cluster.addServer();
  await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
  const summary = await client.stop();
  assert.equal(summary.failed, 0, `failed calls: ${JSON.stringify(summary)}`);
  return newServerCalls;
}

describe("scale-up: a new server behind the headless name", () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it(`gets calls within ${WINDOW_MS / 1000} s when servers set MAX_CONNECTION_AGE_MS=1000`, async () => {
    const calls = await callsToNewServer(1000, cleanup);
    assert.ok(calls > 0, "the new server got no calls: clients never re-resolved");
  });

  it(`gets no calls in the same window with MAX_CONNECTION_AGE_MS=0 (connections never close)`, async () => {
    const calls = await callsToNewServer(0, cleanup);
    assert.equal(calls, 0, "the new server got calls although no connection was closed");
  });
});
