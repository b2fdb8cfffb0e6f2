// The one place that says what a load-balancing mode means: how the Service looks,
// how clients address it, which gRPC policy they use, whether servers age out
// connections, whether clients read the Kubernetes API, and whether an HTTP/2 proxy
// stands between clients and servers. Everything else reads these settings instead
// of testing the mode.

export const MODES = ["l4", "clientside", "api", "l7"] as const;
export type Mode = (typeof MODES)[number];

export type LbPolicy = "pick_first" | "round_robin";

export const SERVER_NAME = "echo-server";
export const CLIENT_NAME = "echo-client";
export const PROXY_NAME = "echo-proxy";
export const GRPC_PORT = 8080;
export const GRPC_PORT_NAME = "grpc";

export interface ServiceShape {
  type: "ClusterIP";
  /** "None" makes the Service headless: DNS returns one A record per ready pod. */
  clusterIP?: "None";
  sessionAffinity: "None";
}

export interface ModeSettings {
  service: ServiceShape;
  /** ECHO_SERVICE_TARGET of the clients. */
  target: string;
  lbPolicy: LbPolicy;
  /** MAX_CONNECTION_AGE_MS of the servers; 0 = never close a connection for age. */
  maxConnectionAgeMs: number;
  /**
   * The clients watch the Service's EndpointSlices through the Kubernetes API: they get
   * a ServiceAccount allowed to list and watch them, and a token mounted.
   */
  readsEndpointSlices: boolean;
  /** Mode l7: an HTTP/2 proxy between clients and servers, behind its own ClusterIP Service. */
  proxy?: ProxySettings;
}

export interface ProxySettings {
  /** The proxy's Service, which the clients dial (`target` names it). */
  service: ServiceShape;
  /** What the proxy resolves and balances over: the servers' headless Service, host:port. */
  upstream: { host: string; port: number };
}

/**
 * Whether a mode's calls spread over the servers: round_robin clients, or a proxy that
 * picks a server per call (l7, whose clients are pick_first). Otherwise each client
 * sticks to one server (l4).
 */
export function spreadsCalls(settings: ModeSettings): boolean {
  return settings.proxy !== undefined || settings.lbPolicy === "round_robin";
}

export function isMode(value: string): value is Mode {
  return (MODES as readonly string[]).includes(value);
}

/** The Service's fully qualified name; clusterDomain is the kubelet's (cluster.local unless changed). */
export function serviceHost(namespace: string, clusterDomain: string, serviceName = SERVER_NAME): string {
  return `${serviceName}.${namespace}.svc.${clusterDomain}`;
}

/** serviceName: the servers' Service, named after their EchoServers component. */
export function modeSettings(
  mode: Mode,
  namespace: string,
  clusterDomain: string,
  maxConnectionAgeMs: number,
  serviceName = SERVER_NAME,
): ModeSettings {
  const hostPort = `${serviceHost(namespace, clusterDomain, serviceName)}:${GRPC_PORT}`;
  switch (mode) {
    case "l4":
      // One virtual IP: kube-proxy picks a pod per TCP connection, and a gRPC
      // channel keeps one connection, so each client sticks to one pod. Ageing
      // connections out would blur exactly what this mode is here to show.
      return {
        service: { type: "ClusterIP", sessionAffinity: "None" },
        target: hostPort,
        lbPolicy: "pick_first",
        maxConnectionAgeMs: 0,
        readsEndpointSlices: false,
      };
    case "clientside":
      // Headless: the dns resolver sees every ready pod and round_robin uses them
      // all. grpc-js re-resolves only when a connection drops, so the servers close
      // connections after maxConnectionAgeMs to let clients find new pods.
      return {
        service: { type: "ClusterIP", clusterIP: "None", sessionAffinity: "None" },
        target: `dns:///${hostPort}`,
        lbPolicy: "round_robin",
        maxConnectionAgeMs,
        readsEndpointSlices: false,
      };
    case "api":
      // The clients' resolver watches the Service's EndpointSlices (echo/kubernetes/):
      // a new ready pod gets calls at once and a terminating one none, so the servers
      // need not cut connections. Headless, as in clientside: nothing needs a virtual
      // IP, and the two modes switch into each other without replacing the Service.
      return {
        service: { type: "ClusterIP", clusterIP: "None", sessionAffinity: "None" },
        target: `kubernetes:///${serviceName}.${namespace}:${GRPC_PORT_NAME}`,
        lbPolicy: "round_robin",
        maxConnectionAgeMs: 0,
        readsEndpointSlices: true,
      };
    case "l7":
      // The clients are l4's, unchanged: pick_first to one virtual IP. Behind it an
      // HTTP/2 proxy (components/echoProxy.ts) picks a server for every request from
      // the headless Service's records, which it resolves again every second, so the
      // servers need not cut connections either.
      return {
        service: { type: "ClusterIP", clusterIP: "None", sessionAffinity: "None" },
        target: `${serviceHost(namespace, clusterDomain, PROXY_NAME)}:${GRPC_PORT}`,
        lbPolicy: "pick_first",
        maxConnectionAgeMs: 0,
        readsEndpointSlices: false,
        proxy: {
          service: { type: "ClusterIP", sessionAffinity: "None" },
          upstream: { host: serviceHost(namespace, clusterDomain, serviceName), port: GRPC_PORT },
        },
      };
  }
}
