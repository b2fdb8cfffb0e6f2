// A DNS server on loopback that answers a name with every address registered
// for it: what a Kubernetes headless Service looks like to a client. Records
// can change while it runs (a pod added), and TTL 0 keeps resolvers from caching.
import * as dgram from "node:dgram";
import * as dnsPacket from "dns-packet";

export class HeadlessDns {
  private readonly records = new Map<string, string[]>();
  private socket?: dgram.Socket;
  /** Queries answered, by name: shows when clients re-resolve. */
  readonly queries = new Map<string, number>();

  /** Replaces the A records of `name`. */
  setAddresses(name: string, addresses: string[]): void {
    this.records.set(name.toLowerCase(), [...addresses]);
  }

  addresses(name: string): string[] {
    return [...(this.records.get(name.toLowerCase()) ?? [])];
  }

  /** Binds UDP on host:port (port 0 = any free one) and resolves with the bound port. */
  start(host = "127.0.0.1", port = 0): Promise<number> {
    const socket = dgram.createSocket("udp4");
    this.socket = socket;
    socket.on("message", (message, peer) => {
      const reply = this.answer(message);
      if (reply) socket.send(reply, peer.port, peer.address);
    });
    return new Promise((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(port, host, () => {
        socket.off("error", reject);
        resolve(socket.address().port);
      });
    });
  }

  stop(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    return new Promise((resolve) => (socket ? socket.close(() => resolve()) : resolve()));
  }

  private answer(message: Buffer): Buffer | undefined {
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return undefined; // not DNS: ignore, as a real server would
    }
    const question = query.questions?.[0];
    if (!question) return undefined;
    const name = question.name.toLowerCase();
    this.queries.set(name, (this.queries.get(name) ?? 0) + 1);
    const known = this.records.get(name);
    const answers: dnsPacket.Answer[] =
      known && question.type === "A"
        ? known.map((data) => ({ type: "A" as const, class: "IN" as const, name: question.name, ttl: 0, data }))
        : [];
    return dnsPacket.encode({
      id: query.id,
      type: "response",
      // Known name, other type (AAAA, TXT): NOERROR with no data; unknown name: NXDOMAIN.
      flags: dnsPacket.AUTHORITATIVE_ANSWER | (known ? 0 : 3),
      questions: [question],
      answers,
    });
  }
}
