// Which addresses a Service's EndpointSlices say to route to, as kube-proxy decides it:
// the union of all slices (a Service has one per 100 endpoints, and an endpoint can sit
// in two for a moment), ready endpoints only, and serving-but-terminating ones only when
// nothing anywhere is ready. Pure functions over the JSON the API returns.
import * as net from "node:net";

/** The parts of a discovery.k8s.io/v1 EndpointSlice this resolver reads. */
export interface EndpointSlice {
  metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> };
  /** One address family per slice; FQDN is deprecated and ignored here. */
  addressType: string;
  endpoints?: SliceEndpoint[] | null;
  ports?: SlicePort[] | null;
}

export interface SliceEndpoint {
  /** The controller writes exactly one; nothing is defined for the others, kube-proxy reads the first. */
  addresses: string[];
  /** Absent ready or serving means true; absent terminating means false. */
  conditions?: { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null };
  targetRef?: { kind?: string; name?: string; namespace?: string };
  nodeName?: string;
}

export interface SlicePort {
  /** The Service port's name; "" when the Service has one unnamed port. */
  name?: string | null;
  port?: number | null;
  protocol?: string | null;
}

/** A port name (the Service port's, looked up in each slice) or a port number used as is. */
export type PortSelector = string | number;

export interface HostPort {
  /** An IP address; IPv6 without brackets, as grpc-js wants it. */
  host: string;
  port: number;
}

/** `ip:port`, IPv6 as `[ip]:port`. */
export function hostPortToString({ host, port }: HostPort): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The port this slice serves `wanted` on, or undefined when it has no such port. */
export function slicePort(slice: EndpointSlice, wanted: PortSelector): number | undefined {
  if (typeof wanted === "number") return wanted;
  const match = (slice.ports ?? []).find((p) => (p.name ?? "") === wanted && (p.protocol ?? "TCP") === "TCP");
  return typeof match?.port === "number" && match.port > 0 && match.port <= 65535 ? match.port : undefined;
}

const FAMILY_CHECK: Record<string, (ip: string) => boolean> = { IPv4: net.isIPv4, IPv6: net.isIPv6 };

interface Candidate extends HostPort {
  ready: boolean;
  servingAndTerminating: boolean;
}

/** Every endpoint of every slice that has the wanted port, with the conditions that decide routing. */
function candidates(slices: ReadonlyMap<string, EndpointSlice>, wanted: PortSelector): Candidate[] {
  const found: Candidate[] = [];
  for (const slice of slices.values()) {
    const isFamily = FAMILY_CHECK[slice.addressType];
    const port = slicePort(slice, wanted);
    if (!isFamily || port === undefined) continue;
    for (const endpoint of slice.endpoints ?? []) {
      const host = endpoint.addresses?.[0];
      if (typeof host !== "string" || !isFamily(host)) continue;
      const conditions = endpoint.conditions ?? {};
      found.push({
        host,
        port,
        ready: conditions.ready !== false,
        servingAndTerminating: conditions.serving !== false && conditions.terminating === true,
      });
    }
  }
  return found;
}

/** Identifies ip:port, and sorts IPv4 before IPv6, IPv4 numerically, then by port: the same set always gives the same list. */
function sortKey({ host, port }: HostPort): string {
  const address = net.isIPv4(host) ? `4:${host.split(".").map((octet) => octet.padStart(3, "0")).join(".")}` : `6:${host.toLowerCase()}`;
  return `${address}#${String(port).padStart(5, "0")}`;
}

/**
 * The endpoints to route to: ready ones from all slices, deduped by ip:port; only if none
 * is ready anywhere, the serving-and-terminating ones (kube-proxy's fallback, so a rollout
 * that has only terminating pods left still drains to them). Sorted.
 */
export function routableEndpoints(slices: ReadonlyMap<string, EndpointSlice>, wanted: PortSelector): HostPort[] {
  const all = candidates(slices, wanted);
  const ready = all.filter((c) => c.ready);
  const chosen = ready.length > 0 ? ready : all.filter((c) => c.servingAndTerminating);
  const unique = new Map<string, HostPort>();
  for (const { host, port } of chosen) unique.set(sortKey({ host, port }), { host, port });
  return [...unique.keys()].sort().map((key) => unique.get(key)!);
}

/** Why routableEndpoints() came back empty, for an error message that points at the cause. */
export function whyNoEndpoints(slices: ReadonlyMap<string, EndpointSlice>, wanted: PortSelector): string {
  if (slices.size === 0) return "the Service has no EndpointSlices (is there a Service by that name, with a selector?)";
  const withPort = [...slices.values()].filter((s) => slicePort(s, wanted) !== undefined);
  if (withPort.length === 0) {
    const names = [...new Set([...slices.values()].flatMap((s) => (s.ports ?? []).map((p) => JSON.stringify(p.name ?? ""))))];
    return `no EndpointSlice has a TCP port named ${JSON.stringify(wanted)} (ports: ${names.join(", ") || "none"})`;
  }
  const count = candidates(slices, wanted).length;
  return count === 0 ? "its EndpointSlices list no endpoints (no pod matches the selector?)" : `${count} endpoint(s), none ready`;
}
