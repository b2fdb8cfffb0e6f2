// `node dist/e2e/dnsCompare.js <coredns binary> <work dir>` (run by e2e/dns-compare.sh):
// the same queries to CoreDNS (hosts plugin) and to the lab's stand-in, both holding 200 A
// records for one name; prints what each replied and exits 1 on any difference.
import * as fs from "node:fs";
import * as path from "node:path";
import * as dnsPacket from "dns-packet";
import { HeadlessDns } from "../lab/headlessDns";
import { type Child, startTracked } from "../lab/processes";
import { orTimeout } from "../lab/timing";
import { poll } from "../test/support/poll";
import { aQuery, tcpQuery, udpQuery } from "../lab/dnsQuery";

const NAME = "echo-server.grpc-lb.svc.cluster.local";
const SERVERS = Array.from({ length: 200 }, (_, i) => `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`);
const QUERIES: { label: string; transport: "udp" | "tcp"; edns?: number }[] = [
  { label: "UDP, no EDNS0", transport: "udp" },
  { label: "UDP, EDNS0 256", transport: "udp", edns: 256 },
  { label: "UDP, EDNS0 1232", transport: "udp", edns: 1232 },
  { label: "UDP, EDNS0 4096", transport: "udp", edns: 4096 },
  { label: "TCP, no EDNS0", transport: "tcp" },
  { label: "TCP, EDNS0 1232", transport: "tcp", edns: 1232 },
];

/** What a reply says, TTLs aside (the hosts plugin's least is 1 s, the stand-in's 0). */
function summary(reply: Buffer) {
  const packet = dnsPacket.decode(reply);
  const opt = packet.additionals?.find((a): a is dnsPacket.OptAnswer => a.type === "OPT");
  const addresses = (packet.answers ?? []).map((a) => (a.type === "A" ? a.data : a.type));
  return { bytes: reply.length, tc: packet.flag_tc, records: addresses.length, opt: opt ? opt.udpPayloadSize : "-", addresses: addresses.join(",") };
}

/** CoreDNS on 127.0.0.1:port serving the hosts file; tracked by PID (lab/processes), so it never outlives this. */
async function startCoreDns(binary: string, work: string, port: number): Promise<Child> {
  const hosts = path.join(work, "hosts");
  fs.writeFileSync(hosts, SERVERS.map((ip) => `${ip} ${NAME}\n`).join(""));
  const corefile = path.join(work, "Corefile");
  fs.writeFileSync(corefile, `.:${port} {\n  bind 127.0.0.1\n  hosts ${hosts} {\n    ttl 1\n    no_reverse\n  }\n}\n`);
  const lines: string[] = [];
  const child = startTracked(binary, ["-conf", corefile], {}, (line) => lines.push(line));
  try {
    await poll("CoreDNS answering", 100, 100, async () => {
      if (child.child.exitCode !== null) throw new Error(`CoreDNS exited ${child.child.exitCode}: ${[...lines, ...child.stderr].join(" | ")}`);
      return (await tcpQuery(port, aQuery(NAME))) && true; // TCP: refused at once until it listens
    });
  } catch (error) {
    await stop(child);
    throw error;
  }
  return child;
}

/** TERM, then KILL if it is still there after 10 s. */
async function stop(child: Child): Promise<void> {
  if (child.child.exitCode !== null || child.child.signalCode !== null) return;
  child.kill("SIGTERM");
  if ((await orTimeout(child.exited, 10_000)) === "timeout") {
    child.kill("SIGKILL");
    await child.exited;
  }
}

async function main(): Promise<void> {
  const [binary, work] = process.argv.slice(2);
  if (!binary || !work) throw new Error("usage: node dist/e2e/dnsCompare.js <coredns binary> <work dir>");
  const standIn = new HeadlessDns();
  standIn.setAddresses(NAME, SERVERS);
  const standInPort = await standIn.start();
  // A port free for UDP and TCP: the stand-in finds one, then hands it over.
  const spare = new HeadlessDns();
  const coreDnsPort = await spare.start();
  await spare.stop();
  let coreDns: Child | undefined;
  try {
    coreDns = await startCoreDns(binary, work, coreDnsPort);
    const rows = [];
    let differences = 0;
    for (const { label, transport, edns } of QUERIES) {
      const ask = transport === "udp" ? udpQuery : tcpQuery;
      const real = summary(await ask(coreDnsPort, aQuery(NAME, edns)));
      const lab = summary(await ask(standInPort, aQuery(NAME, edns)));
      const same = JSON.stringify(real) === JSON.stringify(lab);
      if (!same) differences++;
      rows.push({ query: label, "CoreDNS bytes/TC/records/OPT": `${real.bytes} ${real.tc} ${real.records} ${real.opt}`, "stand-in": `${lab.bytes} ${lab.tc} ${lab.records} ${lab.opt}`, same });
    }
    console.table(rows);
    console.log(differences === 0 ? "stand-in and CoreDNS agree (records in the same order too)" : `${differences} of ${QUERIES.length} differ`);
    process.exitCode = differences === 0 ? 0 : 1;
  } finally {
    await standIn.stop();
    if (coreDns) await stop(coreDns);
  }
}

main().catch((error: unknown) => {
  console.error("dns-compare:", error instanceof Error ? error.message : error);
  process.exit(1);
});
