// One mode on a running fleet of N servers: how evenly several clients spread their
// calls, how many servers and connections each holds, how long a new client takes to
// reach every server, and what the processes cost in memory.
import { rssMiB, establishedConnections } from "./processStats";
import type { LocalCluster } from "./localCluster";
import { clientEnv, discoveryOf, spreadsCalls, type LabMode } from "./modes";
import type { ScalePoint } from "./scaleReport";
import { quantile, round, spread } from "./stats";
import { Teardown } from "./teardown";
import { sleep, waitFor } from "./timing";
import { killClient, startWatchedClient, startWatchedClients, type WatchedClient } from "./watchedClient";

export interface ScalePointSettings {
  clients: number;
  /** Open-loop calls per second of each client. */
  ratePerClient: number;
  /** The window lasts until an even spread would have given every server this many calls (at least minWindowMs). */
  callsPerServer: number;
  minWindowMs: number;
  /** How long a new client may take to reach every server before it counts as never. */
  newClientBoundMs: number;
}

const START_TIMEOUT_MS = 60000;

/** Calls per backend a client made since `before`. */
function since(client: WatchedClient, before: Map<string, number>): Map<string, number> {
  return new Map([...client.tally.byBackend].map(([pod, n]) => [pod, n - (before.get(pod) ?? 0)]));
}

/** Starts a client calling back to back; resolves with ms until its calls reached every one of `pods`, or null after `boundMs`. */
function timeToReachAll(env: Record<string, string>, pods: Set<string>, boundMs: number, teardown: Teardown): Promise<number | null> {
  return new Promise((resolve) => {
    const started = Date.now();
    const seen = new Set<string>();
    const timer = setTimeout(() => resolve(null), boundMs);
    const client = startWatchedClient("client-new", env, {
      onResponse: (pod, at) => {
        if (!pods.has(pod) || seen.has(pod)) return;
        seen.add(pod);
        if (seen.size === pods.size) {
          clearTimeout(timer);
          resolve(at - started);
        }
      },
    });
    teardown.add(() => killClient(client));
  });
}

export async function measureScalePoint(mode: LabMode, cluster: LocalCluster, settings: ScalePointSettings): Promise<ScalePoint> {
  const teardown = new Teardown();
  try {
    const servers = cluster.servers.map((s) => s.name);
    const env = clientEnv(mode, cluster, { ECHO_RATE_PER_S: String(settings.ratePerClient), ECHO_SUMMARY_INTERVAL_MS: "0" });
    const clients = startWatchedClients(settings.clients, env, teardown);
    // The window starts once every client was answered by the servers its policy uses (pick_first
    // 1, round_robin all): its first calls go to the ones connected first. Bounded: a machine
    // too small for the fleet shows as null and in the figures instead.
    const reach = spreadsCalls(mode) ? servers.length : 1;
    const startedAt = Date.now();
    await waitFor(() => clients.every((c) => c.tally.ok > 0), START_TIMEOUT_MS, `${mode}: every client answered`);
    const reached = await waitFor(() => clients.every((c) => c.tally.byBackend.size >= reach), START_TIMEOUT_MS - (Date.now() - startedAt), "")
      .then(() => true)
      .catch(() => false);
    const clientsReadyMs = reached ? Date.now() - startedAt : null;

    const before = clients.map((c) => new Map(c.tally.byBackend));
    const evenMs = (servers.length * settings.callsPerServer * 1000) / (settings.clients * settings.ratePerClient);
    const windowMs = Math.max(settings.minWindowMs, evenMs);
    // A new client, calling back to back, starts with the window; its calls are not counted in the shares.
    const newClient = timeToReachAll(
      clientEnv(mode, cluster, { ECHO_CONCURRENCY: "8", ECHO_INTERVAL_MS: "0", ECHO_SUMMARY_INTERVAL_MS: "0" }),
      new Set(servers),
      settings.newClientBoundMs,
      teardown,
    );
    await sleep(windowMs);
    const windows = clients.map((c, i) => since(c, before[i]));
    const connectionsPerClient = clients.map((c) => establishedConnections(c.process.pid, [cluster.port, cluster.l4Port]));
    const memory = rssMiB([...clients.map((c) => c.process.pid), ...cluster.servers.map((s) => s.pid)]);
    const newClientAllServersMs = await newClient;

    const callsPerServer = servers.map((pod) => windows.reduce((sum, w) => sum + (w.get(pod) ?? 0), 0));
    const mib = (pids: number[]) => pids.map((pid) => memory.get(pid)).filter((m): m is number => m !== undefined);
    const clientMiB = mib(clients.map((c) => c.process.pid));
    const serverMiB = mib(cluster.servers.map((s) => s.pid));
    return {
      mode,
      servers: servers.length,
      clients: clients.length,
      clientsReadyMs,
      callsPerServer,
      spread: spread(callsPerServer),
      backendsPerClient: windows.map((w) => [...w.values()].filter((n) => n > 0).length),
      connectionsPerClient,
      newClientAllServersMs: newClientAllServersMs === null ? null : Math.round(newClientAllServersMs),
      ...(discoveryOf(mode) === "kubernetes-api" ? { endpointSlices: cluster.endpointSlices } : {}),
      memoryMiB: {
        clientMedian: round(quantile(clientMiB, 0.5)),
        clientMax: round(Math.max(0, ...clientMiB)),
        serverMedian: round(quantile(serverMiB, 0.5)),
        serverMax: round(Math.max(0, ...serverMiB)),
      },
    };
  } finally {
    await teardown.run();
  }
}
