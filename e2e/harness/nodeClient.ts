// The real echo client as a process of the checks, on the node (the checks run inside the
// cluster's network namespace with real pods: they reach the pods, and the Services'
// virtual IPs through kube-proxy's rules there), dialing the mode's own target with the
// mode's policy and the retries a check asks for: with 0, every failed call shows, where
// the stack's client pods (ECHO_RETRIES 3 by default) would retry an UNAVAILABLE away.
// It finds the servers the way the mode's clients do: through the Kubernetes API as the
// clients' ServiceAccount when the mode reads EndpointSlices, else by asking the cluster
// DNS the kubelet gives the pods for the target's name (the node's own resolv.conf is the
// host's, which knows no cluster names).
import * as fs from "node:fs";
import { CLIENT_NAME } from "../../components/mode";
import { ClientEvent, ClientProcess, startClient } from "../../lab/processes";
import { apiEnv, tokenOf } from "./apiAccess";
import { Expected } from "./expected";
import { api } from "./kubeApi";
import { Pod, get } from "./kubectl";

export interface NodeClient {
  client: ClientProcess;
  /** Every event of the client, as it comes. */
  events: ClientEvent[];
  /** When each event came (Date.now(), the same index as events). */
  at: number[];
  /** What it dials: the mode's target, with the cluster DNS named for a DNS name. */
  target: string;
}

/**
 * `target` (a bare `host:port`, the grpc-js default `dns:` scheme, or `dns:///host:port`)
 * with `server` as its DNS server: `dns://<server>:<port>/host:port`. grpc-js asks that server
 * when GRPC_NODE_USE_ALTERNATIVE_RESOLVER is true (its own resolver; the default asks the
 * system's getaddrinfo and ignores the authority).
 */
export function viaDnsServer(target: string, server: string, port = 53): string {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\/([^/]*)\/(.+)$/i.exec(target);
  if (scheme && scheme[1].toLowerCase() !== "dns") throw new Error(`${target}: not a DNS target`);
  const hostPort = scheme ? scheme[3] : target;
  const host = server.includes(":") ? `[${server}]` : server;
  return `dns://${host}:${port}/${hostPort}`;
}

/** The cluster DNS the kubelet of `pod`'s node gives the pods (its configz: clusterDNS). */
export async function clusterDns(namespace: string, pod: string): Promise<string> {
  const { spec } = await get<Pod>("pod", pod, "-n", namespace);
  const answer = await api("GET", `/api/v1/nodes/${spec.nodeName}/proxy/configz`);
  if (answer.status !== 200) throw new Error(`configz of ${spec.nodeName}: HTTP ${answer.status} ${answer.body.slice(0, 200)}`);
  const servers = (JSON.parse(answer.body) as { kubeletconfig?: { clusterDNS?: string[] } }).kubeletconfig?.clusterDNS ?? [];
  if (!servers[0]) throw new Error(`the kubelet of ${spec.nodeName} names no cluster DNS`);
  return servers[0];
}

/** The real echo client on the node, with the mode's target and policy and `retries`, until stopped. */
export async function nodeClient(expected: Expected, retries: number): Promise<NodeClient> {
  const { namespace, settings, clientPods } = expected;
  const reach = settings.readsEndpointSlices
    ? { target: settings.target, env: apiEnv(await tokenOf(namespace, CLIENT_NAME)) }
    : { target: viaDnsServer(settings.target, await clusterDns(namespace, clientPods[0])), env: { GRPC_NODE_USE_ALTERNATIVE_RESOLVER: "true" } };
  const events: ClientEvent[] = [];
  const at: number[] = [];
  const client = startClient(
    {
      ...reach.env,
      ECHO_SERVICE_TARGET: reach.target,
      ECHO_LB_POLICY: settings.lbPolicy,
      ECHO_RETRIES: String(retries),
      ECHO_INTERVAL_MS: "20",
      ECHO_CONCURRENCY: "2",
      ECHO_DEADLINE_MS: "5000",
    },
    (event) => {
      events.push(event);
      at.push(Date.now());
    },
  );
  return { client, events, at, target: reach.target };
}

/** An IPv4 address and port as /proc/net/tcp and nf_conntrack show them. */
const hexAddress = (hex: string): string => {
  const [ip, port] = hex.split(":");
  const bytes = (ip.match(/../g) ?? []).map((b) => parseInt(b, 16)).reverse();
  return `${bytes.join(".")}:${parseInt(port, 16)}`;
};

/**
 * Where the established TCP connections to `virtualIp:port` go after kube-proxy's DNAT,
 * from the conntrack table of this network namespace: for each connection, who opened it
 * (`src:sport`, a pod's IP or this node's) and the pod IP it reaches.
 */
export function connectionsThrough(virtualIp: string, port: number): { from: string; to: string }[] {
  return fs
    .readFileSync("/proc/net/nf_conntrack", "utf8")
    .split("\n")
    .filter((line) => / tcp /.test(line) && / ESTABLISHED /.test(line))
    .flatMap((line) => {
      // original direction first, then the reply: src=<pod> is where the DNAT sent it
      const src = [...line.matchAll(/src=(\S+)/g)].map((m) => m[1]);
      const dst = [...line.matchAll(/dst=(\S+)/g)].map((m) => m[1]);
      const sport = [...line.matchAll(/sport=(\d+)/g)].map((m) => m[1]);
      const dport = [...line.matchAll(/dport=(\d+)/g)].map((m) => m[1]);
      return dst[0] === virtualIp && dport[0] === String(port) && src[1] ? [{ from: `${src[0]}:${sport[0]}`, to: src[1] }] : [];
    });
}

/** The local ends (`ip:port`) of this network namespace's established IPv4 connections to `virtualIp:port`. */
export function localConnectionsTo(virtualIp: string, port: number): string[] {
  return fs
    .readFileSync("/proc/net/tcp", "utf8")
    .split("\n")
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length > 3 && fields[3] === "01" && hexAddress(fields[2]) === `${virtualIp}:${port}`)
    .map((fields) => hexAddress(fields[1]));
}

/** Every failed call of the client: its code, details and when it failed, in seconds from `origin` (for a message). */
export function failedCalls(node: NodeClient, origin: number): string[] {
  return node.events.flatMap((e, i) =>
    e.event === "error" ? [`${e.code} at ${((node.at[i] - origin) / 1000).toFixed(1)} s (after ${e.ms} ms): ${e.details}`] : [],
  );
}

/** How many calls the client has had answered after `since`, by which server pod. */
export function answeredBy(node: NodeClient, since = 0): Map<string, number> {
  const byPod = new Map<string, number>();
  node.events.forEach((e, i) => {
    if (e.event === "response" && node.at[i] >= since) byPod.set(e.pod, (byPod.get(e.pod) ?? 0) + 1);
  });
  return byPod;
}
