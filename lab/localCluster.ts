// The cluster-free stand-in for a Kubernetes namespace: echo server processes
// on distinct loopback addresses (the pods), a DNS server answering one name
// with all of them (the headless Service), a per-connection TCP balancer on
// its own address (the ClusterIP Service), and readiness probes that take a
// server that stops answering out of both. Demo, benchmark and tests use it.
import { HeadlessDns } from "./headlessDns";
import { L4Balancer } from "./l4Balancer";
import { requireLoopback } from "./loopback";
import { freePort, ServerProcess, startServer } from "./processes";
import { ProbeTiming, ReadinessProber, STACK_PROBE } from "./readinessProber";

export const SERVICE_NAME = "echo-server.grpc-lb.svc.cluster.local";
/** The "ClusterIP"; pods get 127.0.0.11, .12, ... */
const CLUSTER_IP = "127.0.0.10";
const FIRST_POD_OCTET = 11;
const MAX_PODS = 50;

export interface LocalClusterOptions {
  servers: number;
  /** Extra server environment, e.g. MAX_CONNECTION_AGE_MS. */
  serverEnv?: Record<string, string>;
  /** Readiness probing; default: the stack's schedule. */
  probe?: ProbeTiming;
}

export class LocalCluster {
  readonly servers: ServerProcess[] = [];
  readonly dns = new HeadlessDns();
  readonly balancer = new L4Balancer();
  private readonly prober: ReadinessProber;
  /** Started with publish = false and not published yet. */
  private readonly held = new Set<ServerProcess>();
  private dnsPort = 0;
  private balancerPort = 0;
  /** Slots handed out so far; servers may start concurrently. */
  private started = 0;

  private constructor(
    readonly port: number,
    private readonly serverEnv: Record<string, string>,
    probe: ProbeTiming,
  ) {
    this.prober = new ReadinessProber(probe, () => this.publish());
  }

  static async start(options: LocalClusterOptions): Promise<LocalCluster> {
    const hosts = [...LAB_ADDRESSES];
    await requireLoopback(hosts);
    const cluster = new LocalCluster(await freePort(hosts), options.serverEnv ?? {}, options.probe ?? STACK_PROBE);
    try {
      cluster.dnsPort = await cluster.dns.start("127.0.0.1");
      cluster.balancerPort = await cluster.balancer.start(CLUSTER_IP, cluster.port);
      await Promise.all(Array.from({ length: options.servers }, () => cluster.addServer()));
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** What an l4 client dials: one address, balanced per connection. */
  get clusterIpTarget(): string {
    return `${CLUSTER_IP}:${this.balancerPort}`;
  }

  /** What a clientside client dials: every pod address, through our DNS server. */
  get headlessTarget(): string {
    return `dns://127.0.0.1:${this.dnsPort}/${SERVICE_NAME}:${this.port}`;
  }

  /**
   * Starts one more server and publishes it (DNS record and balancer backend),
   * like a scale-up. With `publish` false it only starts, so a caller can time
   * the moment it appears: publishServers() then publishes it.
   */
  async addServer(publish = true): Promise<ServerProcess> {
    const index = this.started++;
    if (index >= MAX_PODS) throw new Error(`at most ${MAX_PODS} servers`);
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
    await Promise.all(this.servers.map((s) => s.stop("SIGKILL").catch(() => null)));
    await this.balancer.stop();
    await this.dns.stop();
  }

  private publish(without?: ServerProcess): void {
    const ready = this.servers.filter(
      (s) => s !== without && !this.held.has(s) && s.child.exitCode === null && s.child.signalCode === null && this.prober.isReady(address(s)),
    );
    this.dns.setAddresses(SERVICE_NAME, ready.map((s) => s.host));
    this.balancer.setBackends(ready.map((s) => ({ host: s.host, port: s.port })));
  }
}

/** Every loopback address a LocalCluster may use: the ClusterIP, then one per pod. */
export const LAB_ADDRESSES: readonly string[] = [CLUSTER_IP, ...Array.from({ length: MAX_PODS }, (_, i) => podHost(i))];

function address(server: ServerProcess): string {
  return `${server.host}:${server.port}`;
}

function podHost(index: number): string {
  return `127.0.0.${FIRST_POD_OCTET + index}`;
}
