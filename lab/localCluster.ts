// The cluster-free stand-in for a Kubernetes namespace: echo server processes
// on distinct loopback addresses (the pods), a DNS server answering one name
// with all of them (the headless Service), a per-connection TCP balancer on
// its own address (the ClusterIP Service), optionally a stand-in API server
// serving them as the Service's EndpointSlices or a real HAProxy resolving them
// through that DNS server (mode l7's proxy), and readiness probes that take
// a server that stops answering out of all of them. Demo, benchmark and tests use it.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROXY_READY_PATH } from "../components/haproxyConfig";
import { SERVER_NAME, serviceHost } from "../components/mode";
import { HaproxyProcess } from "./haproxy";
import { HeadlessDns } from "./headlessDns";
import { KubeApiStandIn, clientEnv as kubeApiClientEnv, writeStandInCaFile } from "./kubeApiStandIn";
import { labSlices } from "./labSlices";
import { L4Balancer } from "./l4Balancer";
import { requireLoopback } from "./loopback";
import { freePort, ServerProcess, startServer } from "./processes";
import { ProbeTiming, ReadinessProber, STACK_PROBE } from "./readinessProber";
import { within } from "./timing";

export const LAB_NAMESPACE = "grpc-lb";
export const LAB_CLUSTER_DOMAIN = "cluster.local";
export const SERVICE_NAME = serviceHost(LAB_NAMESPACE, LAB_CLUSTER_DOMAIN);
/** The bearer token the lab's clients present to the stand-in API server. */
const LAB_TOKEN = "grpc-lb-lab-client";
/** The "ClusterIP"; pods get 127.0.0.11, .12, ... */
const CLUSTER_IP = "127.0.0.10";
/** Mode l7's proxy: one HAProxy, standing in for the proxy Service and its pods. */
const PROXY_IP = "127.0.0.9";
const FIRST_POD_OCTET = 11;
/** What the demo and the bench use, so a Mac needs only 52 loopback aliases (127.0.0.9-60). */
const DEFAULT_MAX_PODS = 50;
/** 127.0.0.11 to 127.0.0.240 (the scale bench's largest fleets); .251 and up are the peer benchmark's. */
export const MAX_PODS = 230;
/** Servers starting at once: a burst of Node start-ups on a small machine would hit the start timeout. */
const START_CONCURRENCY = 8;

/** The stand-in API's token and CA directories not yet removed: an exit on Ctrl-C skips stop(). */
const liveDirs = new Set<string>();
process.once("exit", () => liveDirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

export interface LocalClusterOptions {
  servers: number;
  /** Extra server environment, e.g. MAX_CONNECTION_AGE_MS. */
  serverEnv?: Record<string, string>;
  /** Readiness probing; default: the stack's schedule. */
  probe?: ProbeTiming;
  /** Also serve the servers as EndpointSlices from a stand-in API server (mode api). */
  kubeApi?: boolean;
  /** Also run HAProxy in front of the servers (mode l7); needs haproxy on PATH. */
  proxy?: boolean;
  /** The most servers this cluster will run (default: 50, or `servers` if more); each needs a loopback address. */
  maxServers?: number;
}

export class LocalCluster {
  readonly servers: ServerProcess[] = [];
  readonly dns = new HeadlessDns();
  readonly balancer = new L4Balancer();
  private kubeApi?: { server: KubeApiStandIn; port: number; dir: string };
  /** Mode l7's HAProxy, when started with `proxy`. */
  haproxy?: HaproxyProcess;
  private readonly prober: ReadinessProber;
  /** Started with publish = false and not published yet. */
  private readonly held = new Set<ServerProcess>();
  private dnsPort = 0;
  private balancerPort = 0;
  /** Slots handed out so far; servers may start concurrently. */
  private started = 0;

  /** EndpointSlices published last time, so shrinking deletes the ones no longer needed. */
  private sliceNames: string[] = [];

  private constructor(
    readonly port: number,
    private readonly serverEnv: Record<string, string>,
    probe: ProbeTiming,
    private readonly maxServers: number,
  ) {
    this.prober = new ReadinessProber(probe, () => this.publish());
  }

  static async start(options: LocalClusterOptions): Promise<LocalCluster> {
    const maxServers = options.maxServers ?? Math.max(DEFAULT_MAX_PODS, options.servers);
    if (maxServers > MAX_PODS || options.servers > maxServers) throw new Error(`at most ${Math.min(maxServers, MAX_PODS)} servers`);
    const hosts = labAddresses(maxServers);
    await requireLoopback(hosts);
    const cluster = new LocalCluster(await freePort(hosts), options.serverEnv ?? {}, options.probe ?? STACK_PROBE, maxServers);
    try {
      cluster.dnsPort = await cluster.dns.start("127.0.0.1");
      cluster.balancerPort = await cluster.balancer.start(CLUSTER_IP, cluster.port);
      if (options.kubeApi) await cluster.startKubeApi();
      await cluster.addServers(options.servers);
      if (options.proxy) await cluster.startProxy();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** The balancer's port (the "ClusterIP" Service's). */
  get l4Port(): number {
    return this.balancerPort;
  }

  /** What an l4 client dials: one address, balanced per connection. */
  get clusterIpTarget(): string {
    return `${CLUSTER_IP}:${this.balancerPort}`;
  }

  /** What a clientside client dials: every pod address, through our DNS server. */
  get headlessTarget(): string {
    return `dns://127.0.0.1:${this.dnsPort}/${SERVICE_NAME}:${this.port}`;
  }

  /** What an l7 client dials: the proxy, one address, which picks a server per request. */
  get proxyTarget(): string {
    if (!this.haproxy) throw new Error("this LocalCluster was started without proxy");
    return `${PROXY_IP}:${this.port}`;
  }

  /** HAProxy on the servers' port, resolving the headless name through our DNS server with the stack's settings. */
  private async startProxy(): Promise<void> {
    this.haproxy = await HaproxyProcess.start({
      listen: { host: PROXY_IP, port: this.port },
      health: { host: PROXY_IP, port: await freePort([PROXY_IP]) },
      upstream: { host: SERVICE_NAME, port: this.port, slots: this.maxServers },
      nameservers: [`127.0.0.1:${this.dnsPort}`],
    });
    // Ready as the pod's probe means it: HAProxy has a server to send calls to.
    await within(this.haproxy.waitFor(PROXY_READY_PATH, 200), 10_000, "haproxy ready");
  }

  /** What a client of mode api needs to reach the stand-in API server (token and CA files). */
  kubeApiEnv(): Record<string, string> {
    if (!this.kubeApi) throw new Error("this LocalCluster was started without kubeApi");
    const { port, dir } = this.kubeApi;
    return kubeApiClientEnv("127.0.0.1", port, path.join(dir, "token"), path.join(dir, "ca.crt"));
  }

  private async startKubeApi(): Promise<void> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "grpc-lb-lab-api-"));
    liveDirs.add(dir);
    fs.writeFileSync(path.join(dir, "token"), LAB_TOKEN, { mode: 0o600 });
    writeStandInCaFile(path.join(dir, "ca.crt"));
    const server = new KubeApiStandIn({ tokens: [LAB_TOKEN] });
    this.kubeApi = { server, port: await server.start("127.0.0.1"), dir };
  }

  /** Starts `count` more servers, a few at a time, and publishes them once all of them run. */
  async addServers(count: number): Promise<ServerProcess[]> {
    const started: ServerProcess[] = [];
    for (let i = 0; i < count; i += START_CONCURRENCY) {
      const batch = Math.min(START_CONCURRENCY, count - i);
      started.push(...(await Promise.all(Array.from({ length: batch }, () => this.addServer(false)))));
    }
    for (const server of started) this.held.delete(server);
    this.publish();
    return started;
  }

  /** The Service's EndpointSlices right now (mode api), as the stand-in API server serves them. */
  get endpointSlices(): number {
    return this.kubeApi ? this.sliceNames.length : 0;
  }

  /**
   * Starts one more server and publishes it (DNS record and balancer backend),
   * like a scale-up. With `publish` false it only starts, so a caller can time
   * the moment it appears: publishServers() then publishes it.
   */
  async addServer(publish = true): Promise<ServerProcess> {
    const index = this.started++;
    if (index >= this.maxServers) throw new Error(`at most ${this.maxServers} servers`);
    const server = await startServer({
      name: `echo-server-${index + 1}`,
      host: podHost(index),
      port: this.port,
      env: this.serverEnv,
    });
    this.servers[index] = server;
    this.prober.add(address(server));
    if (publish) this.publish();
    else this.held.add(server);
    return server;
  }

  /** Publishes every running server (an endpoint becoming ready). */
  publishServers(): void {
    this.held.clear();
    this.publish();
  }

  /** Takes a server out of DNS, the balancer and the EndpointSlices and leaves it running (a terminating pod). */
  unpublishServer(server: ServerProcess): void {
    this.prober.remove(address(server));
    this.held.add(server);
    this.publish();
  }

  /** Removes a server from DNS and the balancer (the endpoint goes away), then stops it with `signal`. */
  async stopServer(server: ServerProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    this.prober.remove(address(server));
    this.publish(server);
    return server.stop(signal);
  }

  /**
   * A fault, not a shutdown: sends `signal` (SIGSTOP freezes, SIGCONT thaws,
   * SIGKILL kills) and leaves the server published; only the readiness probes
   * take it out, as in a cluster.
   */
  signalServer(server: ServerProcess, signal: "SIGSTOP" | "SIGCONT" | "SIGKILL"): void {
    server.child.kill(signal);
  }

  /** Whether the readiness probes currently count `server` in. */
  isReady(server: ServerProcess): boolean {
    return this.prober.isReady(address(server));
  }

  async stop(): Promise<void> {
    this.prober.stop();
    await this.haproxy?.stop();
    await Promise.all(this.servers.map((s) => s.stop("SIGKILL").catch(() => null)));
    await this.balancer.stop();
    await this.dns.stop();
    if (this.kubeApi) {
      await this.kubeApi.server.stop();
      fs.rmSync(this.kubeApi.dir, { recursive: true, force: true });
      liveDirs.delete(this.kubeApi.dir);
    }
  }

  private publish(without?: ServerProcess): void {
    const ready = this.servers.filter(
      (s) => s !== without && !this.held.has(s) && s.child.exitCode === null && s.child.signalCode === null && this.prober.isReady(address(s)),
    );
    this.dns.setAddresses(SERVICE_NAME, ready.map((s) => s.host));
    this.balancer.setBackends(ready.map((s) => ({ host: s.host, port: s.port })));
    if (this.kubeApi) this.publishSlices(this.kubeApi.server, ready);
  }

  /** Puts the Service's slices (see labSlices) and deletes those a shrink left over. */
  private publishSlices(api: KubeApiStandIn, ready: ServerProcess[]): void {
    const slices = labSlices(ready, this.port);
    for (const slice of slices) api.putSlice(LAB_NAMESPACE, SERVER_NAME, slice);
    for (const name of this.sliceNames) if (!slices.some((s) => s.metadata.name === name)) api.deleteSlice(LAB_NAMESPACE, name);
    this.sliceNames = slices.map((s) => s.metadata.name);
  }
}

/** The loopback addresses a LocalCluster of up to `maxServers` servers uses: the proxy's, the ClusterIP, then one per pod. */
export function labAddresses(maxServers = DEFAULT_MAX_PODS): string[] {
  return [PROXY_IP, CLUSTER_IP, ...Array.from({ length: maxServers }, (_, i) => podHost(i))];
}

/** What the demo and the bench need. */
export const LAB_ADDRESSES: readonly string[] = labAddresses();

function address(server: ServerProcess): string {
  return `${server.host}:${server.port}`;
}

function podHost(index: number): string {
  return `127.0.0.${FIRST_POD_OCTET + index}`;
}
