// A bare DNS client on loopback (dns-packet), shared by the stand-in's tests, the scale bench and the
// CoreDNS comparison: raw replies, so their size on the wire can be checked too.
import * as dgram from "node:dgram";
import * as net from "node:net";
import * as dnsPacket from "dns-packet";

/** A hang guard: loopback answers in milliseconds. */
const REPLY_TIMEOUT_MS = 10_000;

/** An A query for `name`, with an EDNS0 OPT record advertising `ednsSize` if given. */
export function aQuery(name: string, ednsSize?: number, id = 1): dnsPacket.Packet {
  const opt: dnsPacket.OptAnswer = { type: "OPT", name: ".", udpPayloadSize: ednsSize ?? 0, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] };
  return {
    type: "query",
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: "A", class: "IN", name }],
    additionals: ednsSize === undefined ? [] : [opt],
  };
}

/** Sends one query over UDP to 127.0.0.1:port; resolves with the reply's bytes. */
export function udpQuery(port: number, query: dnsPacket.Packet): Promise<Buffer> {
  const socket = dgram.createSocket("udp4");
  return new Promise<Buffer>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no UDP reply from port ${port}`)), REPLY_TIMEOUT_MS);
    socket.once("error", reject);
    socket.once("message", (reply) => (clearTimeout(timer), resolve(reply)));
    socket.send(dnsPacket.encode(query), port, "127.0.0.1");
  }).finally(() => socket.close());
}

/** An open TCP connection to 127.0.0.1:port that reads length-prefixed replies. */
export class TcpDns {
  private pending = Buffer.alloc(0);
  private readonly replies: Buffer[] = [];
  private waiter?: () => void;
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on("data", (chunk) => {
      this.pending = Buffer.concat([this.pending, chunk]);
      while (this.pending.length >= 2 && this.pending.length >= 2 + this.pending.readUInt16BE(0)) {
        const frame = this.pending.subarray(0, 2 + this.pending.readUInt16BE(0));
        this.pending = this.pending.subarray(frame.length);
        this.replies.push(frame.subarray(2));
      }
      this.waiter?.();
    });
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("error", () => undefined); // seen as "close"
  }

  static open(port: number): Promise<TcpDns> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, "127.0.0.1", () => (socket.off("error", reject), resolve(new TcpDns(socket))));
      socket.once("error", reject);
    });
  }

  /** Writes the queries as given: one chunk per element (a chunk may hold several, or a part). */
  write(...chunks: Buffer[]): void {
    for (const chunk of chunks) this.socket.write(chunk);
  }

  /** Resolves with the next `count` replies' bytes. */
  async read(count: number): Promise<Buffer[]> {
    const deadline = Date.now() + REPLY_TIMEOUT_MS;
    while (this.replies.length < count) {
      if (this.socket.destroyed || Date.now() > deadline) throw new Error(`${this.replies.length} of ${count} TCP replies`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.waiter = () => (clearTimeout(timer), resolve());
      });
    }
    return this.replies.splice(0, count);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Sends one query over a new TCP connection; resolves with the reply's bytes. */
export async function tcpQuery(port: number, query: dnsPacket.Packet): Promise<Buffer> {
  const connection = await TcpDns.open(port);
  try {
    connection.write(dnsPacket.streamEncode(query));
    const [reply] = await connection.read(1);
    return reply;
  } finally {
    connection.close();
  }
}
