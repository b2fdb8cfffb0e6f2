// How much of a fleet's capacity each mode delivers. The servers get a simulated
// cost (each call takes serviceTimeMs, at most maxConcurrentCalls at once), so the
// fleet's capacity is known and far below what the machine's CPU could do; open-loop
// clients offer a share of it, from light to past saturation. A pinned l4 client
// overloads its server while others idle; round_robin clients use the whole fleet.
import { seededRandom } from "./l4Balancer";
import type { LocalCluster } from "./localCluster";
import { clientEnv, LAB_MODES, type LabMode, STACK_MAX_CONNECTION_AGE_MS, startModeCluster } from "./modes";
import type { CapacityPoint, CapacitySweep } from "./scaleReport";
import { quantile, round } from "./stats";
import { Teardown } from "./teardown";
import { sleep, waitFor } from "./timing";
import { startWatchedClients } from "./watchedClient";

export interface CapacitySettings {
  servers: number;
  clients: number;
  serviceTimeMs: number;
  maxConcurrentCalls: number;
  /** Offered load as shares of the fleet's capacity, lowest first. */
  loads: number[];
  warmupMs: number;
  /** Calls due in this window count, however late their answer or failure came. */
  windowMs: number;
  /** The clients' call deadline: a call waiting longer fails, and counts at this latency. */
  deadlineMs: number;
  /** Seeds the l4 balancer's picks, so every load sees the same pinning (kube-proxy's is random too). */
  seed: number;
}

export function fleetCapacityPerS(s: Pick<CapacitySettings, "servers" | "maxConcurrentCalls" | "serviceTimeMs">): number {
  return (s.servers * s.maxConcurrentCalls * 1000) / s.serviceTimeMs;
}

const START_TIMEOUT_MS = 30000;

async function measurePoint(mode: LabMode, cluster: LocalCluster, perClient: number, s: CapacitySettings): Promise<CapacityPoint & { pods: Set<string> }> {
  const teardown = new Teardown();
  try {
    cluster.balancer.setRandom(seededRandom(s.seed));
    const env = clientEnv(mode, cluster, {
      ECHO_RATE_PER_S: String(perClient),
      ECHO_DEADLINE_MS: String(s.deadlineMs),
      ECHO_SUMMARY_INTERVAL_MS: "0",
    });
    // Every load gets the same picks (which client gets which may differ; all offer the same rate).
    const clients = startWatchedClients(s.clients, env, teardown, { keepSamples: true });
    await waitFor(() => clients.every((c) => c.tally.ok + c.tally.failed > 0), START_TIMEOUT_MS, `${mode}: every client called`);
    await sleep(s.warmupMs);
    const from = Date.now();
    await sleep(s.windowMs);
    const to = Date.now();
    // Throughput: answers that came in the window (an overloaded fleet cannot answer more than its
    // capacity, however long its queues). Latency: every call due in the window, answered or
    // failed, once each has had its deadline; a failed one at the time it failed, so overload shows.
    await sleep(s.deadlineMs + 500);
    const answered = clients.flatMap((c) => c.tally.samplesBetween(from, to));
    const due = clients.map((c) => c.tally.dueBetween(from, to));
    const failed = due.flatMap((d) => d.failed);
    const ms = [...due.flatMap((d) => d.answered.map((x) => x.ms)), ...failed.map((f) => f.ms)];
    return {
      offeredPerS: perClient * s.clients,
      achievedPerS: round((answered.length * 1000) / (to - from)),
      p50Ms: round(quantile(ms, 0.5)),
      p99Ms: round(quantile(ms, 0.99)),
      failed: failed.length,
      pods: new Set(answered.map((x) => x.pod)),
    };
  } finally {
    await teardown.run();
    // Calls still queued on the servers leave with their clients; running ones end within one service time.
    await sleep(2 * s.serviceTimeMs);
  }
}

/** The servers' environment for the simulated cost. */
export function serviceCostEnv(s: Pick<CapacitySettings, "serviceTimeMs" | "maxConcurrentCalls">): Record<string, string> {
  return { SERVICE_TIME_MS: String(s.serviceTimeMs), MAX_CONCURRENT_CALLS: String(s.maxConcurrentCalls) };
}

/**
 * Offers every load of `s` to each of `modes` on one running fleet (started with
 * serviceCostEnv(s)), load by load, the modes one after another at each load.
 */
export async function sweepLoads(
  modes: readonly LabMode[],
  cluster: LocalCluster,
  s: CapacitySettings,
  progress: (line: string) => void,
): Promise<Pick<CapacitySweep, "points" | "serversUsed">> {
  const capacity = fleetCapacityPerS(s);
  const points = {} as Record<LabMode, CapacityPoint[]>;
  const used = new Map(modes.map((mode) => [mode, new Set<string>()]));
  for (const load of s.loads) {
    const perClient = Math.max(1, Math.round((load * capacity) / s.clients));
    for (const mode of modes) {
      progress(`${mode}: ${perClient * s.clients} calls/s offered (${Math.round(load * 100)}% of ${capacity})`);
      const { pods, ...point } = await measurePoint(mode, cluster, perClient, s);
      pods.forEach((p) => used.get(mode)!.add(p));
      (points[mode] ??= []).push(point);
    }
  }
  const serversUsed = Object.fromEntries(modes.map((mode) => [mode, used.get(mode)!.size])) as Record<LabMode, number>;
  return { points, serversUsed };
}

/** The sweep's settings as the report gives them, with its points. */
export function capacitySweep(s: CapacitySettings, measured: Pick<CapacitySweep, "points" | "serversUsed">): CapacitySweep {
  return {
    servers: s.servers,
    clients: s.clients,
    serviceTimeMs: s.serviceTimeMs,
    maxConcurrentCalls: s.maxConcurrentCalls,
    deadlineMs: s.deadlineMs,
    fleetCapacityPerS: fleetCapacityPerS(s),
    ...measured,
  };
}

/** Every mode with a fleet of its own, with the stack's settings. */
export async function measureCapacity(s: CapacitySettings, progress: (line: string) => void = () => {}): Promise<CapacitySweep> {
  const points = {} as Record<LabMode, CapacityPoint[]>;
  const serversUsed = {} as Record<LabMode, number>;
  for (const mode of LAB_MODES) {
    const cluster = await startModeCluster(mode, s.servers, STACK_MAX_CONNECTION_AGE_MS, serviceCostEnv(s));
    try {
      const measured = await sweepLoads([mode], cluster, s, progress);
      points[mode] = measured.points[mode];
      serversUsed[mode] = measured.serversUsed[mode];
    } finally {
      await cluster.stop();
    }
  }
  return capacitySweep(s, { points, serversUsed });
}
