// Discovery, per mode: how long after a new server is published a running client sends it
// a first call, and how many calls still reach it after it is unpublished (taken out of
// DNS, the balancer and the EndpointSlices while it keeps running, as a terminating pod
// is). l4: a connected pick_first client never moves. clientside: grpc-js re-resolves DNS
// only when a connection closes, so about one max connection age; the server is published
// just after the client connected, close to the worst case. api: the resolver watches the
// EndpointSlices and hands every change to the channel at once. l7: the client stays on
// the proxy, which resolves the headless name again every PROXY_TIMING.resolveMs and
// drops a server the answer no longer names.
import { clientEnv, LabMode, labSettings, spreadsCalls, startModeCluster } from "./modes";
import { Teardown } from "./teardown";
import { sleep, waitFor } from "./timing";
import { killClient, startWatchedClient } from "./watchedClient";

export interface Discovery {
  mode: LabMode;
  maxConnectionAgeMs: number;
  /** Null when the new server got no call within the wait. */
  discoveryMs: number | null;
  /** How long the client had been connected when the server was published. */
  connectedForMs: number;
  /** Calls the server answered later than UNPUBLISH_GRACE_MS after it was unpublished, in UNPUBLISHED_WATCH_MS. */
  callsAfterUnpublish: number;
  /** ms from unpublishing to the last call the server answered in UNPUBLISHED_WATCH_MS; null when none. */
  lastCallAfterUnpublishMs: number | null;
}

/** Calls already in flight when the server is unpublished may still finish. */
export const UNPUBLISH_GRACE_MS = 250;
const UNPUBLISHED_WATCH_MS = 3000;

/** grpc-js jitters the age by +-10%; give it the upper end plus some slack before giving up. */
function waitLimitMs(ageMs: number): number {
  return Math.round(ageMs * 1.1) + 10000;
}

export async function measureDiscovery(mode: LabMode, ageMs: number, servers: number): Promise<Discovery> {
  const teardown = new Teardown();
  const maxConnectionAgeMs = labSettings(mode, ageMs).maxConnectionAgeMs;
  try {
    const cluster = await startModeCluster(mode, servers, ageMs);
    teardown.add(() => cluster.stop());
    const spare = await cluster.addServer(false);
    let firstCallAt: number | undefined;
    const unpublished = { at: 0 };
    let callsAfterUnpublish = 0;
    let lastCallAt: number | undefined;
    const client = startWatchedClient("client-1", clientEnv(mode, cluster, { ECHO_INTERVAL_MS: "20", ECHO_CONCURRENCY: "2" }), {
      onResponse: (pod, at) => {
        if (pod !== spare.name) return;
        firstCallAt ??= at;
        if (unpublished.at > 0) lastCallAt = at;
        if (unpublished.at > 0 && at > unpublished.at + UNPUBLISH_GRACE_MS) callsAfterUnpublish++;
      },
    });
    teardown.add(() => killClient(client));
    const everyServer = spreadsCalls(mode) ? servers : 1;
    await waitFor(() => client.tally.byBackend.size === everyServer, 30000, "the client uses every server it can");
    cluster.publishServers();
    const publishedAt = Date.now();
    await waitFor(() => firstCallAt !== undefined, waitLimitMs(maxConnectionAgeMs), "first call to the new server").catch(() => undefined);
    cluster.unpublishServer(spare);
    unpublished.at = Date.now();
    await sleep(UNPUBLISHED_WATCH_MS);
    return {
      mode,
      maxConnectionAgeMs,
      discoveryMs: firstCallAt === undefined ? null : firstCallAt - publishedAt,
      connectedForMs: publishedAt - (client.tally.firstAt ?? publishedAt),
      callsAfterUnpublish,
      lastCallAfterUnpublishMs: lastCallAt === undefined ? null : lastCallAt - unpublished.at,
    };
  } finally {
    await teardown.run();
  }
}
