// Discovery: how long after a new server is published a round_robin client
// (headless DNS name) sends it a first call. grpc-js re-resolves only when a
// connection closes, so this is bounded by the servers' max connection age.
// The server is published just after the client connected: close to the worst
// case, a whole connection age.
import { clientEnv, startModeCluster } from "./modes";
import { Teardown } from "./teardown";
import { waitFor } from "./timing";
import { killClient, startWatchedClient } from "./watchedClient";

export interface Discovery {
  maxConnectionAgeMs: number;
  /** Null when the new server got no call within the wait. */
  discoveryMs: number | null;
  /** How long the client had been connected when the server was published. */
  connectedForMs: number;
}

/** grpc-js jitters the age by +-10%; give it the upper end plus some slack before giving up. */
function waitLimitMs(ageMs: number): number {
  return Math.round(ageMs * 1.1) + 10000;
}

export async function measureDiscovery(maxConnectionAgeMs: number, servers: number): Promise<Discovery> {
  const teardown = new Teardown();
  try {
    const cluster = await startModeCluster("clientside", servers, maxConnectionAgeMs);
    teardown.add(() => cluster.stop());
    const spare = await cluster.addServer(false);
    let firstCallAt: number | undefined;
    const client = startWatchedClient("client-1", clientEnv("clientside", cluster, { ECHO_INTERVAL_MS: "20", ECHO_CONCURRENCY: "2" }), {
      onResponse: (pod, at) => {
        if (pod === spare.name) firstCallAt ??= at;
      },
    });
    teardown.add(() => killClient(client));
    await waitFor(() => client.tally.byBackend.size === servers, 30000, "the client uses every server");
    cluster.publishServers();
    const publishedAt = Date.now();
    await waitFor(() => firstCallAt !== undefined, waitLimitMs(maxConnectionAgeMs), "first call to the new server").catch(() => undefined);
    return {
      maxConnectionAgeMs,
      discoveryMs: firstCallAt === undefined ? null : firstCallAt - publishedAt,
      connectedForMs: publishedAt - (client.tally.firstAt ?? publishedAt),
    };
  } finally {
    await teardown.run();
  }
}
