// Why MAX_CONNECTION_AGE_MS exists: grpc-js re-resolves DNS only when a
// connection drops, so without it a round_robin client never finds a new pod.
import { strict as assert } from "node:assert";
import { LocalCluster } from "../../lab/localCluster";
import { startClient } from "../../lab/processes";
import { sleep, waitFor } from "../../lab/timing";
import { Cleanup } from "../support/cleanup";

/** How long the client without connection ageing is watched for a call to the new server. */
const WINDOW_MS = 5000;
/**
 * Bound against a hang only, not a claim: with a 1 s age the first call to the
 * new server normally comes within about 2 s (one age, +-10% jitter, and the
 * client's 1 s limit between DNS resolutions); a busy machine may take longer.
 */
const FIND_LIMIT_MS = 30000;

/** A round_robin client on 2 servers, warmed up, then a 3rd server published. */
async function scaleUp(maxConnectionAgeMs: number, cleanup: Cleanup) {
  const cluster = await LocalCluster.start({
    servers: 2,
    serverEnv: { MAX_CONNECTION_AGE_MS: String(maxConnectionAgeMs), MAX_CONNECTION_AGE_GRACE_MS: "1000" },
  });
  cleanup.add(() => cluster.stop());
  const counts = { calls: 0, newServer: 0 };
  const client = startClient(
    { ECHO_SERVICE_TARGET: cluster.headlessTarget, ECHO_LB_POLICY: "round_robin", ECHO_INTERVAL_MS: "20", ECHO_CONCURRENCY: "2" },
    (event) => {
      if (event.event !== "response") return;
      counts.calls++;
      if (event.pod === "echo-server-3") counts.newServer++;
    },
  );
  cleanup.add(() => client.stop());
  await waitFor(() => counts.calls >= 20, FIND_LIMIT_MS, "20 calls before the scale-up");
  await cluster.addServer();
  return { client, counts, callsAtScaleUp: counts.calls };
}

describe("scale-up: a new server behind the headless name", () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it("gets calls once connections age out (servers set MAX_CONNECTION_AGE_MS=1000)", async () => {
    const { client, counts } = await scaleUp(1000, cleanup);
    await waitFor(() => counts.newServer > 0, FIND_LIMIT_MS, "the new server got no calls: clients never re-resolved");
    const summary = await client.stop();
    assert.equal(summary.failed, 0, `failed calls: ${JSON.stringify(summary)}`);
    assert.ok(counts.newServer > 0);
  });

  it(`gets no calls in ${WINDOW_MS / 1000} s (and 20+ calls) with MAX_CONNECTION_AGE_MS=0 (connections never close)`, async () => {
    const { client, counts, callsAtScaleUp } = await scaleUp(0, cleanup);
    // An absence can only be shown over a window. For the zero to mean something the client must
    // have kept calling through it: at least WINDOW_MS and at least 20 calls, however slow the machine.
    await sleep(WINDOW_MS);
    await waitFor(() => counts.calls - callsAtScaleUp >= 20, FIND_LIMIT_MS, "20 calls after the scale-up");
    const summary = await client.stop();
    assert.equal(summary.failed, 0, `failed calls: ${JSON.stringify(summary)}`);
    assert.equal(counts.newServer, 0, "the new server got calls although no connection was closed");
  });
});
