// What cluster DNS answers for a headless Service as it grows, and what grpc-js makes
// of it: the lab's DNS server sizes answers as CoreDNS does (512 bytes over UDP without
// EDNS0, truncated with TC; TCP whole), so this shows where a UDP answer stops holding
// every pod, and that grpc-js's resolver falls back to TCP and still sees them all.
// Records only: nothing dials the addresses, so counts go far past the lab's fleets.
import * as dnsPacket from "dns-packet";
import { aQuery, tcpQuery, udpQuery } from "./dnsQuery";
import { HeadlessDns } from "./headlessDns";
import { SERVICE_NAME } from "./localCluster";
import { resolveOnce } from "./resolveOnce";
import type { DnsAnswer } from "./scaleReport";

/** 10.244.x.y: pod-like addresses, never dialled. */
const podAddress = (i: number) => `10.244.${Math.floor(i / 250)}.${(i % 250) + 1}`;

const aRecords = (reply: Buffer) => (dnsPacket.decode(reply).answers ?? []).filter((a) => a.type === "A").length;

export async function measureDnsAnswers(counts: number[]): Promise<DnsAnswer[]> {
  const dns = new HeadlessDns();
  const port = await dns.start("127.0.0.1");
  try {
    const results: DnsAnswer[] = [];
    for (const servers of counts) {
      dns.setAddresses(SERVICE_NAME, Array.from({ length: servers }, (_, i) => podAddress(i)));
      const full = await tcpQuery(port, aQuery(SERVICE_NAME));
      const udp = await udpQuery(port, aQuery(SERVICE_NAME));
      const before = { ...dns.queriesByTransport };
      // The clientside clients' resolver, asking this server as the lab's clients do.
      const { result } = await resolveOnce(`dns://127.0.0.1:${port}/${SERVICE_NAME}:8080`, {});
      if (result.event !== "resolved") throw new Error(`grpc-js could not resolve ${servers} records: ${result.code} ${result.message}`);
      results.push({
        servers,
        fullAnswerBytes: full.length,
        udpRecordsNoEdns: aRecords(udp),
        truncatedNoEdns: dnsPacket.decode(udp).flag_tc === true,
        grpcJsAddresses: result.endpoints?.length ?? 0,
        queriesUdp: dns.queriesByTransport.udp - before.udp,
        queriesTcp: dns.queriesByTransport.tcp - before.tcp,
      });
    }
    return results;
  } finally {
    await dns.stop();
  }
}
