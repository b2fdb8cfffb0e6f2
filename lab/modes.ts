// The two load-balancing modes as the lab runs them, with the same settings as
// the Pulumi stack: l4 = pick_first through a per-connection balancer, servers
// never age connections out; clientside = round_robin over the headless DNS
// name, servers close connections after a maximum age so clients re-resolve.
import { LocalCluster, SERVICE_NAME } from "./localCluster";
import type { ProbeTiming } from "./readinessProber";

export const LAB_MODES = ["l4", "clientside"] as const;
export type LabMode = (typeof LAB_MODES)[number];

/** MAX_CONNECTION_AGE_MS the stack gives clientside servers. */
export const STACK_MAX_CONNECTION_AGE_MS = 30000;

type Env = Record<string, string>;

/**
 * l4 keeps ageing off, as the stack does: with it, a pick_first client would
 * reconnect through the balancer now and then and land on another server,
 * blurring the pinning this mode is there to show.
 */
export function maxConnectionAgeMs(mode: LabMode, clientsideAgeMs: number): number {
  return mode === "l4" ? 0 : clientsideAgeMs;
}

export function startModeCluster(
  mode: LabMode,
  servers: number,
  clientsideAgeMs: number,
  env: Env = {},
  probe?: ProbeTiming,
): Promise<LocalCluster> {
  return LocalCluster.start({
    servers,
    serverEnv: { MAX_CONNECTION_AGE_MS: String(maxConnectionAgeMs(mode, clientsideAgeMs)), ...env },
    probe,
  });
}

/** Client environment for `mode`: l4 dials the balancer, clientside the DNS name (real `dns:` resolver). */
export function clientEnv(mode: LabMode, cluster: LocalCluster, extra: Env = {}): Env {
  return mode === "l4"
    ? { ECHO_SERVICE_TARGET: cluster.clusterIpTarget, ECHO_LB_POLICY: "pick_first", ...extra }
    : { ECHO_SERVICE_TARGET: cluster.headlessTarget, ECHO_LB_POLICY: "round_robin", ...extra };
}

/** One line saying how clients of `mode` reach the servers. */
export function describeMode(mode: LabMode, cluster: Pick<LocalCluster, "clusterIpTarget">): string {
  return mode === "l4"
    ? `pick_first -> ClusterIP ${cluster.clusterIpTarget}, a random server per connection`
    : `round_robin -> ${SERVICE_NAME}, all A records`;
}
