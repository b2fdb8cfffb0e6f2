// Fits a DNS reply to its client as CoreDNS v1.15 does (request.Size, SizeAndDo and Scrub,
// which calls miekg/dns Msg.Truncate): over UDP at most 512 bytes, or the EDNS0 size the
// query advertises if larger; over TCP 65535. A reply that does not fit is name-compressed
// and cut to the whole answers that fit, with TC set when any were cut.
import * as dnsPacket from "dns-packet";

export type Transport = "udp" | "tcp";

const MIN_UDP_SIZE = 512; // dns.MinMsgSize: also the floor for a smaller advertised size
const MAX_TCP_SIZE = 65535; // dns.MaxMsgSize
/** Over UDP/IPv4 CoreDNS compresses a reply past this even when it fits, against fragmentation. */
const IPV4_FRAGMENT_SIZE = 1480;
const HEADER_SIZE = 12;
/** A compressed name: a pointer to the question's name, right after the header (RFC 1035 4.1.4). */
const POINTER_TO_QUESTION = Buffer.from([0xc0, HEADER_SIZE]);

function optOf(query: dnsPacket.Packet): dnsPacket.OptAnswer | undefined {
  return query.additionals?.find((a): a is dnsPacket.OptAnswer => a.type === "OPT");
}

/** The most bytes the client takes in one reply. */
export function replyLimit(query: dnsPacket.Packet, transport: Transport): number {
  if (transport === "tcp") return MAX_TCP_SIZE;
  return Math.max(MIN_UDP_SIZE, optOf(query)?.udpPayloadSize ?? 0);
}

/**
 * The reply's OPT record: the query's, size as advertised (unclamped), DO kept, version and
 * extended RCODE cleared. CoreDNS also echoes a few options (COOKIE, NSID...); none here.
 */
export function replyOpt(query: dnsPacket.Packet): dnsPacket.OptAnswer[] {
  const opt = optOf(query);
  if (!opt) return [];
  const flags = opt.flags & 0xff00; // CoreDNS: Hdr.Ttl &= 0xff00
  return [{ type: "OPT", name: ".", udpPayloadSize: opt.udpPayloadSize, extendedRcode: 0, ednsVersion: 0, flags, flag_do: (flags & dnsPacket.DNSSEC_OK) !== 0, options: [] }];
}

/**
 * Encodes `reply` in at most `limit` bytes: as it is when it fits uncompressed; else compressed,
 * with the answers that fit in order. Every answer must be named as the question (one name's
 * records): compressing is then a pointer, which dns-packet cannot write itself.
 */
export function encodeReply(reply: dnsPacket.Packet, limit: number, transport: Transport): Buffer {
  const plain = dnsPacket.encodingLength(reply);
  if (plain <= limit && !(transport === "udp" && plain > IPV4_FRAGMENT_SIZE)) return dnsPacket.encode(reply);
  const question = reply.questions?.[0]?.name.toLowerCase();
  const rooted = (reply.answers ?? []).map((answer) => {
    if (answer.name.toLowerCase() !== question) throw new Error(`answer ${answer.name} is not named as the question`);
    return { ...answer, name: "." }; // one byte, replaced by the 2-byte pointer
  });
  const lengths = rooted.map((answer) => dnsPacket.encodingLength({ answers: [answer] }) - HEADER_SIZE);
  // The OPT record is never cut: its length comes off the budget first, as in Msg.Truncate.
  let size = dnsPacket.encodingLength({ questions: reply.questions, additionals: reply.additionals });
  let kept = 0;
  while (kept < rooted.length && size + lengths[kept] + 1 <= limit) size += lengths[kept++] + 1;
  const truncated = kept < rooted.length ? dnsPacket.TRUNCATED_RESPONSE : 0;
  const wire = dnsPacket.encode({ ...reply, flags: (reply.flags ?? 0) | truncated, answers: rooted.slice(0, kept) });
  let at = dnsPacket.encodingLength({ questions: reply.questions });
  const parts = [wire.subarray(0, at)];
  for (const length of lengths.slice(0, kept)) {
    parts.push(POINTER_TO_QUESTION, wire.subarray(at + 1, at + length));
    at += length;
  }
  parts.push(wire.subarray(at));
  return Buffer.concat(parts);
}
