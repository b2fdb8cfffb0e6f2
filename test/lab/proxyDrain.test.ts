// A gradual drain behind l7's proxy, with real processes on loopback: a server that
// leaves the headless Service (a pod that starts terminating) while calls are in flight
// on it finishes them, gets no new ones once HAProxy's next DNS query drops it, and
// stops after the stack's preStop pause; with the clients' retries off, no call fails:
// a call HAProxy cut or sent to the stopped server would show as a failure.
import { strict as assert } from "node:assert";
import { PRESTOP_SLEEP_SECONDS } from "../../components/echoServers";
import { MODES } from "../../components/mode";
import { LocalCluster } from "../../lab/localCluster";
import { clientEnv, labSettings, missingFor, startModeCluster } from "../../lab/modes";
import { waitFor } from "../../lab/timing";
import { killClient, startWatchedClient, WatchedClient } from "../../lab/watchedClient";

/** Long enough that every server always has calls in flight (6 loops over 3 servers). */
const SERVICE_TIME_MS = 300;

describe("l7: a server drains behind the proxy (real HAProxy and processes on loopback)", function () {
  this.timeout(60000);
  const mode = MODES.find((m) => labSettings(m).proxy)!;
  let cluster: LocalCluster | undefined;
  let client: WatchedClient | undefined;

  afterEach(async () => {
    if (client) await killClient(client);
    await cluster?.stop();
    client = cluster = undefined;
  });

  it("finishes its calls in flight and loses none, with the clients' retries off", async () => {
    assert.equal(missingFor(mode), undefined, missingFor(mode));
    cluster = await startModeCluster(mode, 3, 0, { SERVICE_TIME_MS: String(SERVICE_TIME_MS) });
    const env = clientEnv(mode, cluster, { ECHO_RETRIES: "0", ECHO_CONCURRENCY: "6", ECHO_INTERVAL_MS: "0", ECHO_DEADLINE_MS: "5000" });
    const watched = (client = startWatchedClient("client", env, { keepSamples: true }));
    const [victim] = cluster.servers;
    await waitFor(() => watched.tally.byBackend.size === 3 && (watched.tally.byBackend.get(victim.name) ?? 0) >= 10, 15000, "calls on every server, steadily");

    const unpublishedAt = Date.now();
    cluster.unpublishServer(victim);
    await new Promise((resolve) => setTimeout(resolve, PRESTOP_SLEEP_SECONDS * 1000));
    const stoppedAt = Date.now();
    assert.equal(await cluster.stopServer(victim, "SIGTERM"), 0, "the server did not drain and exit cleanly");
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const summary = await watched.process.stop();

    const victimAfter = watched.tally.samples.filter((s) => s.pod === victim.name && s.at > unpublishedAt);
    const shape = `${JSON.stringify(summary.byBackend)}; ${summary.failed} failed ${JSON.stringify(watched.tally.failuresByCode)}`;
    assert.equal(summary.failed, 0, `calls failed during the drain: ${shape}`);
    assert.ok(victimAfter.length >= 1, `no call in flight on the draining server finished after it left DNS: ${shape}`);
    assert.ok(victimAfter.every((s) => s.at < stoppedAt), `the draining server still got calls after its preStop pause: ${shape}`);
    assert.ok(summary.ok > 0 && Object.keys(summary.byBackend).length === 3, shape);
  });
});
