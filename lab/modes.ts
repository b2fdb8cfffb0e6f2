// The load-balancing modes as the lab runs them, read from the stack's mode table
// (components/mode.ts) with the lab's stand-ins in place of a cluster's parts: the
// per-connection balancer for a ClusterIP's virtual IP, the DNS server for a headless
// Service's records, the stand-in API server for its EndpointSlices; and a real
// HAProxy for l7's proxy, where haproxy is installed (else l7 is left out, and said so).
import { CONFIG_DEFAULTS } from "../components/config";
import { MODES, Mode, ModeSettings, modeSettings, spreadsCalls as spreadsCallsIn } from "../components/mode";
import { HAPROXY_HINT, haproxyPath } from "./haproxy";
import { LAB_CLUSTER_DOMAIN, LAB_NAMESPACE, LocalCluster, SERVICE_NAME } from "./localCluster";
import type { ProbeTiming } from "./readinessProber";

export type LabMode = Mode;

/** MAX_CONNECTION_AGE_MS the stack gives servers that age connections out. */
export const STACK_MAX_CONNECTION_AGE_MS: number = CONFIG_DEFAULTS.maxConnectionAgeMs;

type Env = Record<string, string>;

/** How the mode's clients find the servers. */
export type Discovery = "virtual-ip" | "dns" | "kubernetes-api" | "proxy";

/** The stack's settings for `mode`, in the lab's namespace; `ageMs` stands in for the stack's maxConnectionAgeMs. */
export function labSettings(mode: LabMode, ageMs = STACK_MAX_CONNECTION_AGE_MS): ModeSettings {
  return modeSettings(mode, LAB_NAMESPACE, LAB_CLUSTER_DOMAIN, ageMs);
}

export function discoveryOf(mode: LabMode): Discovery {
  const settings = labSettings(mode);
  if (settings.proxy) return "proxy";
  if (settings.readsEndpointSlices) return "kubernetes-api";
  return settings.service.clusterIP === "None" ? "dns" : "virtual-ip";
}

/** Whether each client's calls spread over every server, as the mode table says (components/mode.ts). */
export function spreadsCalls(mode: LabMode): boolean {
  return spreadsCallsIn(labSettings(mode));
}

/** Why the lab cannot run `mode` on this machine, or undefined when it can. */
export function missingFor(mode: LabMode): string | undefined {
  return discoveryOf(mode) === "proxy" && haproxyPath() === undefined ? HAPROXY_HINT : undefined;
}

/** The modes this machine can run, in the mode table's order. */
export const LAB_MODES: readonly LabMode[] = MODES.filter((mode) => missingFor(mode) === undefined);

/** One line per mode left out, saying how to get it (printed by the demo and the bench). */
export const LAB_MODES_MISSING: readonly string[] = MODES.flatMap((mode) => {
  const missing = missingFor(mode);
  return missing ? [`${mode} left out: ${missing}`] : [];
});

/** The servers' MAX_CONNECTION_AGE_MS in `mode` when the stack's age is `ageMs`. */
export function maxConnectionAgeMs(mode: LabMode, ageMs: number): number {
  return labSettings(mode, ageMs).maxConnectionAgeMs;
}

export function startModeCluster(mode: LabMode, servers: number, ageMs: number, env: Env = {}, probe?: ProbeTiming): Promise<LocalCluster> {
  return startSharedCluster([mode], servers, ageMs, env, probe);
}

/** One fleet for several modes whose servers run with the same settings (see modesSharingServers), used one mode after another. */
export function startSharedCluster(modes: LabMode[], servers: number, ageMs: number, env: Env = {}, probe?: ProbeTiming): Promise<LocalCluster> {
  const ages = new Set(modes.map((mode) => maxConnectionAgeMs(mode, ageMs)));
  if (ages.size !== 1) throw new Error(`modes ${modes.join(", ")} need servers with different connection ages`);
  return LocalCluster.start({
    servers,
    serverEnv: { MAX_CONNECTION_AGE_MS: String([...ages][0]), ...env },
    probe,
    kubeApi: modes.some((mode) => discoveryOf(mode) === "kubernetes-api"),
    proxy: modes.some((mode) => discoveryOf(mode) === "proxy"),
  });
}

/** The modes grouped by the server settings they need: each group can share one fleet. */
export function modesSharingServers(ageMs = STACK_MAX_CONNECTION_AGE_MS): LabMode[][] {
  const groups = new Map<number, LabMode[]>();
  for (const mode of LAB_MODES) {
    const age = maxConnectionAgeMs(mode, ageMs);
    groups.set(age, [...(groups.get(age) ?? []), mode]);
  }
  return [...groups.values()];
}

/** Client environment for `mode`: the stack's target and policy, pointed at the lab's stand-ins. */
export function clientEnv(mode: LabMode, cluster: LocalCluster, extra: Env = {}): Env {
  const settings = labSettings(mode);
  const policy = { ECHO_LB_POLICY: settings.lbPolicy };
  switch (discoveryOf(mode)) {
    case "virtual-ip":
      return { ECHO_SERVICE_TARGET: cluster.clusterIpTarget, ...policy, ...extra };
    case "dns":
      return { ECHO_SERVICE_TARGET: cluster.headlessTarget, ...policy, ...extra };
    case "kubernetes-api":
      return { ECHO_SERVICE_TARGET: settings.target, ...cluster.kubeApiEnv(), ...policy, ...extra };
    case "proxy":
      return { ECHO_SERVICE_TARGET: cluster.proxyTarget, ...policy, ...extra };
  }
}

/** One line saying how clients of `mode` reach the servers. */
export function describeMode(mode: LabMode, cluster: Pick<LocalCluster, "clusterIpTarget" | "proxyTarget">): string {
  const { lbPolicy, target } = labSettings(mode);
  switch (discoveryOf(mode)) {
    case "virtual-ip":
      return `${lbPolicy} -> ClusterIP ${cluster.clusterIpTarget}, a random server per connection`;
    case "dns":
      return `${lbPolicy} -> ${SERVICE_NAME}, all A records`;
    case "kubernetes-api":
      return `${lbPolicy} -> ${target}, EndpointSlices`;
    case "proxy":
      return `${lbPolicy} -> HAProxy ${cluster.proxyTarget}, a server per request`;
  }
}
