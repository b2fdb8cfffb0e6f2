// Faults without a goodbye, under load, on loopback with real processes: one of
// the servers is frozen (SIGSTOP: its connections stay open, nothing answers)
// or killed (SIGKILL: the kernel closes its connections). Measures the calls
// that failed and how long after the fault the last one failed. The tests
// assert what keepalive guarantees (or, behind a proxy, the proxy's health checks);
// the benchmark reports the figures.
import { PROXY_DOWN_WITHIN_MS } from "../components/haproxyConfig";
import { readClientConfig } from "../echo/clientConfig";
import { clientEnv, labSettings, LabMode, spreadsCalls, STACK_MAX_CONNECTION_AGE_MS, startModeCluster } from "./modes";
import type { ServerProcess } from "./processes";
import type { ProbeTiming } from "./readinessProber";
import { addCounts, round } from "./stats";
import { Teardown } from "./teardown";
import { sleep, waitFor } from "./timing";
import { killClient, startWatchedClient, WatchedClient } from "./watchedClient";

export const FAULTS = ["freeze", "kill"] as const;
export type Fault = (typeof FAULTS)[number];

export interface ChaosSettings {
  servers: number;
  clients: number;
  /** ECHO_KEEPALIVE_TIME_MS / ECHO_KEEPALIVE_TIMEOUT_MS of the clients; 0 = keepalive off. */
  keepaliveTimeMs: number;
  keepaliveTimeoutMs: number;
  /** The readiness probes that take a dead server out of DNS and the balancer. */
  probe: ProbeTiming;
  /** How long to watch after the fault. */
  observeMs: number;
}

export interface ChaosClient {
  /** The servers it had called before the fault. */
  backendsBefore: string[];
  /** Calls that finished after the fault, and how many of them failed. */
  callsAfter: number;
  failedAfter: number;
  /** From the fault to its last failed call; 0 when none failed. */
  lastFailureMs: number;
  /** The servers that answered its calls in the last second of the watch. */
  backendsAtEnd: string[];
  /** Its calls in the last second of the watch, and how many failed. */
  callsAtEnd: number;
  failedAtEnd: number;
}

export interface ChaosResult {
  mode: LabMode;
  fault: Fault;
  victim: string;
  keepaliveTimeMs: number;
  keepaliveTimeoutMs: number;
  /** Summed over clients. */
  callsAfter: number;
  failedAfter: number;
  failedByCode: Record<string, number>;
  /** The slowest client's last failure after the fault (ms); 0 when nothing failed. */
  recoveryMs: number;
  /** When the readiness probes took the victim out (ms after the fault); null if they never did. */
  unpublishedMs: number | null;
  /** Behind a proxy: when it stopped sending the victim calls (ms after the fault): its checks, or DNS without it; null if it never did. */
  proxyOutMs?: number | null;
  clients: ChaosClient[];
}

const END_WINDOW_MS = 1000;
/** The chaos clients run with the client's default deadline. */
const CLIENT_DEADLINE_MS = readClientConfig({}).deadlineMs;

/**
 * From a fault to the last failed call, at most: clients behind a proxy hold a healthy
 * connection to it, so the proxy's health checks decide (PROXY_DOWN_WITHIN_MS), and a
 * call sent to the server just before that ends at its deadline (the proxy does not cut
 * it); a client connected to the servers notices within its keepalive bound, ping
 * interval + ping timeout, which fails its calls on the server at once.
 */
export function faultBoundMs(c: Pick<ChaosResult, "mode" | "keepaliveTimeMs" | "keepaliveTimeoutMs">): number {
  return labSettings(c.mode).proxy ? PROXY_DOWN_WITHIN_MS + CLIENT_DEADLINE_MS : c.keepaliveTimeMs + c.keepaliveTimeoutMs;
}

/**
 * The server to hit: for clients pinned to a server (l4) the one the first client
 * is pinned to (a fault elsewhere would show nothing), for spread ones any of them.
 */
function pickVictim(mode: LabMode, servers: ServerProcess[], clients: WatchedClient[]): ServerProcess {
  if (spreadsCalls(mode)) return servers[0];
  const pinned = [...clients[0].tally.byBackend.keys()][0];
  const victim = servers.find((s) => s.name === pinned);
  if (!victim) throw new Error(`${mode} client pinned to unknown server ${pinned}`);
  return victim;
}

export async function measureChaos(mode: LabMode, fault: Fault, settings: ChaosSettings): Promise<ChaosResult> {
  const teardown = new Teardown();
  try {
    const cluster = await startModeCluster(mode, settings.servers, STACK_MAX_CONNECTION_AGE_MS, {}, settings.probe);
    teardown.add(() => cluster.stop());
    const env = clientEnv(mode, cluster, {
      ECHO_INTERVAL_MS: "5",
      ECHO_CONCURRENCY: "4",
      ECHO_SUMMARY_INTERVAL_MS: "0",
      ECHO_KEEPALIVE_TIME_MS: String(settings.keepaliveTimeMs),
      ECHO_KEEPALIVE_TIMEOUT_MS: String(settings.keepaliveTimeoutMs),
    });
    const clients = Array.from({ length: settings.clients }, (_, i) => {
      const client = startWatchedClient(`client-${i + 1}`, env, { keepSamples: true });
      teardown.add(() => killClient(client));
      return client;
    });
    const everyServer = () => clients.every((c) => c.tally.byBackend.size === settings.servers);
    const warm = () => clients.every((c) => c.tally.ok >= 20);
    await waitFor(spreadsCalls(mode) ? () => warm() && everyServer() : warm, 30000, "every client calling");
    const backendsBefore = clients.map((c) => [...c.tally.byBackend.keys()].sort());

    const victim = pickVictim(mode, cluster.servers, clients);
    const faultAt = Date.now();
    cluster.signalServer(victim, fault === "freeze" ? "SIGSTOP" : "SIGKILL");
    let unpublishedAt: number | undefined;
    let proxyOutAt: number | undefined;
    const proxyOut = cluster.haproxy?.serverOut(victim.host);
    const watchUntil = faultAt + settings.observeMs;
    while (Date.now() < watchUntil) {
      if (unpublishedAt === undefined && !cluster.isReady(victim)) unpublishedAt = Date.now();
      if (proxyOutAt === undefined && proxyOut?.()) proxyOutAt = Date.now();
      await sleep(50);
    }
    const endFrom = Date.now() - END_WINDOW_MS;

    const perClient = clients.map((c, i): ChaosClient => {
      const failures = c.tally.failures.filter((f) => f.at >= faultAt);
      const atEnd = c.tally.samples.filter((s) => s.at >= endFrom);
      return {
        backendsBefore: backendsBefore[i],
        callsAfter: c.tally.samples.filter((s) => s.at >= faultAt).length + failures.length,
        failedAfter: failures.length,
        lastFailureMs: failures.length > 0 ? failures[failures.length - 1].at - faultAt : 0,
        backendsAtEnd: [...new Set(atEnd.map((s) => s.pod))].sort(),
        callsAtEnd: atEnd.length + failures.filter((f) => f.at >= endFrom).length,
        failedAtEnd: failures.filter((f) => f.at >= endFrom).length,
      };
    });
    const failedByCode: Record<string, number> = {};
    for (const c of clients) addCounts(failedByCode, countCodes(c.tally.failures.filter((f) => f.at >= faultAt)));
    return {
      mode,
      fault,
      victim: victim.name,
      keepaliveTimeMs: settings.keepaliveTimeMs,
      keepaliveTimeoutMs: settings.keepaliveTimeoutMs,
      callsAfter: perClient.reduce((sum, c) => sum + c.callsAfter, 0),
      failedAfter: perClient.reduce((sum, c) => sum + c.failedAfter, 0),
      failedByCode,
      recoveryMs: Math.max(...perClient.map((c) => c.lastFailureMs)),
      unpublishedMs: unpublishedAt === undefined ? null : round(unpublishedAt - faultAt, 0),
      ...(proxyOut ? { proxyOutMs: proxyOutAt === undefined ? null : round(proxyOutAt - faultAt, 0) } : {}),
      clients: perClient,
    };
  } finally {
    await teardown.run();
  }
}

function countCodes(failures: { code: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { code } of failures) counts[code] = (counts[code] ?? 0) + 1;
  return counts;
}
