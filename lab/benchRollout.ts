// A rolling update under load, as a Deployment does it (maxSurge 1,
// maxUnavailable 0): for each server, a new one is started and published, then
// the old one is unpublished and sent SIGTERM, and we wait for it to exit.
// Counts the calls the clients saw fail.
import { clientEnv, LabMode, STACK_MAX_CONNECTION_AGE_MS, startModeCluster } from "./modes";
import { addCounts } from "./stats";
import { Teardown } from "./teardown";
import { sleep, waitFor } from "./timing";
import { killClient, startWatchedClient } from "./watchedClient";

export interface RollingRestart {
  retries: number;
  calls: number;
  failed: number;
  failedByCode: Record<string, number>;
  /** Exit codes of the replaced servers (0 = drained cleanly). */
  exitCodes: (number | null)[];
  durationMs: number;
}

export interface RolloutSettings {
  servers: number;
  clients: number;
}

const SETTLE_MS = 1000;

export async function measureRollingRestart(mode: LabMode, retries: number, settings: RolloutSettings): Promise<RollingRestart> {
  const teardown = new Teardown();
  try {
    const cluster = await startModeCluster(mode, settings.servers, STACK_MAX_CONNECTION_AGE_MS);
    teardown.add(() => cluster.stop());
    const env = clientEnv(mode, cluster, { ECHO_INTERVAL_MS: "5", ECHO_CONCURRENCY: "4", ECHO_RETRIES: String(retries) });
    const clients = Array.from({ length: settings.clients }, (_, i) => {
      const client = startWatchedClient(`client-${i + 1}`, env);
      teardown.add(() => killClient(client));
      return client;
    });
    await waitFor(() => clients.every((c) => c.tally.ok >= 20), 30000, "every client calling");
    const started = Date.now();
    const exitCodes: (number | null)[] = [];
    for (const old of [...cluster.servers]) {
      await cluster.addServer();
      exitCodes.push(await cluster.stopServer(old, "SIGTERM"));
    }
    const durationMs = Date.now() - started;
    await sleep(SETTLE_MS);
    const summaries = await Promise.all(clients.map((c) => c.process.stop()));
    const failedByCode: Record<string, number> = {};
    for (const client of clients) addCounts(failedByCode, client.tally.failuresByCode);
    return {
      retries,
      calls: summaries.reduce((sum, s) => sum + s.total, 0),
      failed: summaries.reduce((sum, s) => sum + s.failed, 0),
      failedByCode,
      exitCodes,
      durationMs,
    };
  } finally {
    await teardown.run();
  }
}
