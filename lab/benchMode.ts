// Fairness, stickiness and throughput of one mode: a fresh cluster with the
// mode's stack settings, several clients calling back to back.
import { measureLoad } from "./benchLoad";
import { clientEnv, LabMode, STACK_MAX_CONNECTION_AGE_MS, startModeCluster } from "./modes";
import { addCounts, spread, Spread } from "./stats";

export interface ModeLoadSettings {
  servers: number;
  clients: number;
  concurrency: number;
  windowMs: number;
  minCalls: number;
}

export interface ModeLoad {
  fairness: Spread & { byBackend: Record<string, number>; failed: number };
  stickiness: { backendsPerClient: number[] };
  throughput: { concurrency: number; windowMs: number; callsPerS: number; p50Ms: number; p99Ms: number };
}

export async function measureMode(mode: LabMode, settings: ModeLoadSettings): Promise<ModeLoad> {
  const cluster = await startModeCluster(mode, settings.servers, STACK_MAX_CONNECTION_AGE_MS);
  try {
    const load = await measureLoad({
      clients: Array.from({ length: settings.clients }, () => clientEnv(mode, cluster)),
      concurrency: settings.concurrency,
      windowMs: settings.windowMs,
      minCalls: settings.minCalls,
    });
    // Every server counts, also one that got nothing (l4: the share is then unbounded).
    const byBackend = Object.fromEntries(cluster.servers.map((s) => [s.name, 0]));
    for (const summary of load.summaries) addCounts(byBackend, summary.byBackend);
    return {
      fairness: {
        ...spread(Object.values(byBackend)),
        byBackend,
        failed: load.summaries.reduce((sum, s) => sum + s.failed, 0),
      },
      stickiness: { backendsPerClient: load.summaries.map((s) => Object.keys(s.byBackend).length) },
      throughput: {
        concurrency: load.concurrency,
        windowMs: load.windowMs,
        callsPerS: load.callsPerS,
        p50Ms: load.p50Ms,
        p99Ms: load.p99Ms,
      },
    };
  } finally {
    await cluster.stop();
  }
}
