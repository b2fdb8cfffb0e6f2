// A TCP balancer on loopback that does what kube-proxy does for a ClusterIP
// Service: it picks a random backend once per new connection and then only
// copies bytes. It never sees requests, so a gRPC channel (one long-lived
// HTTP/2 connection) stays on the backend it got.
import * as net from "node:net";

export interface Address {
  host: string;
  port: number;
}

export class L4Balancer {
  private backends: Address[];
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  /** Connections opened to each backend ("host:port"), for reports. */
  readonly connections = new Map<string, number>();

  /** `random`: where picks come from; a seeded one repeats the same picks (see seededRandom). */
  constructor(
    backends: Address[] = [],
    private random: () => number = Math.random,
  ) {
    this.backends = [...backends];
  }

  /** From now on pick with `random` (a benchmark replays the same picks for every load it offers). */
  setRandom(random: () => number): void {
    this.random = random;
  }

  setBackends(backends: Address[]): void {
    this.backends = [...backends];
  }

  addBackend(backend: Address): void {
    this.backends.push(backend);
  }

  start(host = "127.0.0.1", port = 0): Promise<number> {
    const server = net.createServer((downstream) => this.proxy(downstream));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  }

  stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    this.server = undefined;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
  }

  private proxy(downstream: net.Socket): void {
    this.track(downstream);
    if (this.backends.length === 0) {
      downstream.destroy();
      return;
    }
    const backend = this.backends[Math.floor(this.random() * this.backends.length)];
    const key = `${backend.host}:${backend.port}`;
    this.connections.set(key, (this.connections.get(key) ?? 0) + 1);
    const upstream = net.connect(backend.port, backend.host);
    this.track(upstream);
    // Forward small HTTP/2 frames at once: Nagle plus delayed ACKs would add
    // ~40 ms per call, a cost kube-proxy's NAT does not have.
    downstream.setNoDelay(true);
    upstream.setNoDelay(true);
    // Either side closing or failing closes the other, like a conntrack entry ending.
    downstream.on("error", () => upstream.destroy());
    upstream.on("error", () => downstream.destroy());
    downstream.on("close", () => upstream.destroy());
    upstream.on("close", () => downstream.destroy());
    downstream.pipe(upstream);
    upstream.pipe(downstream);
  }
}

/** A small seeded generator (mulberry32): the same seed gives the same picks. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
