// A DNS server on loopback that answers a name with every address registered
// for it: what a Kubernetes headless Service looks like to a client. Records
// can change while it runs (a pod added), and TTL 0 keeps resolvers from caching.
// Replies are sized as CoreDNS sizes them (./dnsAnswer): past about 28 addresses a
// UDP reply without EDNS0 is truncated (TC), and clients must ask again over TCP,
// served on the same port.
import * as dgram from "node:dgram";
import * as net from "node:net";
import * as dnsPacket from "dns-packet";
import { encodeReply, replyLimit, replyOpt, type Transport } from "./dnsAnswer";

/** How often a free UDP port is tried again when its TCP twin is taken (port 0 only). */
const PORT_ATTEMPTS = 10;

export class HeadlessDns {
  private readonly records = new Map<string, string[]>();
  private udp?: dgram.Socket;
  private tcp?: net.Server;
  private readonly connections = new Set<net.Socket>();
  /** Queries answered, by name: shows when clients re-resolve. */
  readonly queries = new Map<string, number>();
  /** Queries answered, by transport: shows when clients retry a truncated reply over TCP. */
  readonly queriesByTransport: Record<Transport, number> = { udp: 0, tcp: 0 };

  /** Replaces the A records of `name`. */
  setAddresses(name: string, addresses: string[]): void {
    this.records.set(name.toLowerCase(), [...addresses]);
  }

  addresses(name: string): string[] {
    return [...(this.records.get(name.toLowerCase()) ?? [])];
  }

  /** Serves UDP and TCP on host:port (port 0 = one free for both) and resolves with the port. */
  async start(host = "127.0.0.1", port = 0): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      const udp = await this.bindUdp(host, port);
      const bound = udp.address().port;
      try {
        this.tcp = await this.listenTcp(host, bound);
        this.udp = udp;
        return bound;
      } catch (error) {
        await new Promise<void>((resolve) => udp.close(() => resolve()));
        const taken = (error as NodeJS.ErrnoException).code === "EADDRINUSE";
        if (port !== 0 || !taken || attempt >= PORT_ATTEMPTS) throw error;
      }
    }
  }

  /** Closes both listeners and every open TCP connection. */
  async stop(): Promise<void> {
    const { udp, tcp } = this;
    this.udp = this.tcp = undefined;
    for (const socket of this.connections) socket.destroy();
    await Promise.all([
      udp && new Promise<void>((resolve) => udp.close(() => resolve())),
      tcp && new Promise<void>((resolve) => tcp.close(() => resolve())),
    ]);
  }

  private bindUdp(host: string, port: number): Promise<dgram.Socket> {
    const socket = dgram.createSocket("udp4");
    socket.on("message", (message, peer) => {
      const reply = this.answer(decoded(() => dnsPacket.decode(message)), "udp");
      if (reply) socket.send(reply, peer.port, peer.address);
    });
    return new Promise((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(port, host, () => {
        socket.off("error", reject);
        resolve(socket);
      });
    });
  }

  private listenTcp(host: string, port: number): Promise<net.Server> {
    const server = net.createServer((socket) => this.serve(socket));
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve(server);
      });
    });
  }

  /** One TCP connection: messages with a 2-byte length prefix, as many as the client sends. */
  private serve(socket: net.Socket): void {
    this.connections.add(socket);
    socket.on("close", () => this.connections.delete(socket));
    socket.on("error", () => socket.destroy());
    let pending = Buffer.alloc(0);
    socket.on("data", (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const frame = pending.subarray(0, 2 + pending.readUInt16BE(0));
        pending = pending.subarray(frame.length);
        const reply = this.answer(decoded(() => dnsPacket.streamDecode(frame)), "tcp");
        if (!reply) return void socket.destroy(); // not DNS: hang up
        const length = Buffer.alloc(2);
        length.writeUInt16BE(reply.length);
        socket.write(Buffer.concat([length, reply]));
      }
    });
  }

  private answer(query: dnsPacket.Packet | undefined, transport: Transport): Buffer | undefined {
    const question = query?.questions?.[0];
    if (!query || !question) return undefined; // not DNS: ignore, as a real server would
    const name = question.name.toLowerCase();
    this.queries.set(name, (this.queries.get(name) ?? 0) + 1);
    this.queriesByTransport[transport]++;
    const known = this.records.get(name);
    const answers: dnsPacket.Answer[] =
      known && question.type === "A"
        ? known.map((data) => ({ type: "A" as const, class: "IN" as const, name: question.name, ttl: 0, data }))
        : [];
    const reply: dnsPacket.Packet = {
      id: query.id,
      type: "response",
      // Known name, other type (AAAA, TXT): NOERROR with no data; unknown name: NXDOMAIN.
      flags: dnsPacket.AUTHORITATIVE_ANSWER | ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | (known ? 0 : 3),
      questions: [question],
      answers,
      additionals: replyOpt(query),
    };
    return encodeReply(reply, replyLimit(query, transport), transport);
  }
}

function decoded(decode: () => dnsPacket.Packet): dnsPacket.Packet | undefined {
  try {
    return decode();
  } catch {
    return undefined;
  }
}
