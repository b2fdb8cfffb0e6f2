// When a newly published server starts getting calls, per mode, as a timeline:
// a fleet runs with clients connected, one more server is published (a pod turning
// ready), and every response is binned by the time since. Every mode runs side by
// side with its own fleet.
import { clientEnv, type LabMode, maxConnectionAgeMs, startModeCluster } from "./modes";
import type { DiscoveryTimeline } from "./scaleReport";
import { Teardown } from "./teardown";
import { sleep, waitFor } from "./timing";
import { startWatchedClients } from "./watchedClient";

export interface TimelineSettings {
  servers: number;
  clients: number;
  ratePerClient: number;
  /** The stack's maxConnectionAgeMs this run stands for (servers of modes that age connections use it). */
  ageMs: number;
  /** How long to watch after publishing: more than one connection age, to see clientside find it. */
  observeMs: number;
  binMs: number;
}

const START_TIMEOUT_MS = 60000;

export async function measureTimeline(mode: LabMode, s: TimelineSettings): Promise<DiscoveryTimeline> {
  const teardown = new Teardown();
  const cluster = await startModeCluster(mode, s.servers, s.ageMs);
  teardown.add(() => cluster.stop());
  try {
    const fresh = await cluster.addServer(false);
    const responses: { at: number; pod: string }[] = [];
    const env = clientEnv(mode, cluster, { ECHO_RATE_PER_S: String(s.ratePerClient), ECHO_SUMMARY_INTERVAL_MS: "0" });
    const clients = startWatchedClients(s.clients, env, teardown, { onResponse: (pod, at) => responses.push({ at, pod }) });
    await waitFor(() => clients.every((c) => c.tally.ok > 0), START_TIMEOUT_MS, `${mode}: every client answered`);
    const publishedAt = Date.now();
    cluster.publishServers();
    await sleep(s.observeMs);
    const bins = Math.ceil(s.observeMs / s.binMs);
    const all = new Array<number>(bins).fill(0);
    const toNew = new Array<number>(bins).fill(0);
    for (const { at, pod } of responses) {
      const bin = Math.floor((at - publishedAt) / s.binMs);
      if (bin < 0 || bin >= bins) continue;
      all[bin]++;
      if (pod === fresh.name) toNew[bin]++;
    }
    const first = responses.find((r) => r.pod === fresh.name && r.at >= publishedAt);
    return {
      mode,
      servers: s.servers,
      maxConnectionAgeMs: maxConnectionAgeMs(mode, s.ageMs),
      binMs: s.binMs,
      newServerShare: all.map((n, i) => (n === 0 ? 0 : Math.round((toNew[i] / n) * 1000) / 1000)),
      firstCallMs: first ? first.at - publishedAt : null,
    };
  } finally {
    await teardown.run();
  }
}
