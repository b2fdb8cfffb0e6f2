// The headless-Service stand-in answers like a real DNS server, checked with
// Node's own c-ares resolver (what grpc-js uses for dns://server/name targets),
// and sizes its replies as CoreDNS does: the numbers below are CoreDNS 1.15's own
// for the same queries (e2e/dns-compare.sh).
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { Resolver } from "node:dns/promises";
import * as path from "node:path";
import * as dnsPacket from "dns-packet";
import { HeadlessDns } from "../../lab/headlessDns";
import { Cleanup } from "../support/cleanup";
import { TcpDns, aQuery, tcpQuery, udpQuery } from "../../lab/dnsQuery";

const RESOLVE = path.join(__dirname, "..", "..", "echo", "resolve.js");
const NAME = "echo-server.grpc-lb.svc.cluster.local";
/** 200 servers: 10.0.0.1-10.0.0.200. */
const SERVERS = Array.from({ length: 200 }, (_, i) => `10.0.0.${i + 1}`);

function decode(reply: Buffer) {
  const packet = dnsPacket.decode(reply);
  const answers = (packet.answers ?? []).filter((a): a is dnsPacket.StringAnswer => a.type === "A");
  assert.equal(answers.length, packet.answers?.length, "only A records");
  for (const answer of answers) assert.deepEqual([answer.name, answer.ttl], [NAME, 0]);
  const opt = packet.additionals?.find((a): a is dnsPacket.OptAnswer => a.type === "OPT");
  return { tc: packet.flag_tc, addresses: answers.map((a) => a.data), opt: opt?.udpPayloadSize };
}

describe("HeadlessDns", () => {
  const dns = new HeadlessDns();
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());
  let port = 0;
  // One try (the test counts queries), with a timeout a busy machine will not run into.
  const resolver = new Resolver({ timeout: 10000, tries: 1 });

  before(async () => {
    port = await dns.start();
    resolver.setServers([`127.0.0.1:${port}`]);
  });
  after(() => dns.stop());

  it("answers a name with every address, and follows changes", async () => {
    dns.setAddresses("svc.example.test", ["127.0.0.11", "127.0.0.12"]);
    assert.deepEqual((await resolver.resolve4("svc.example.test")).sort(), ["127.0.0.11", "127.0.0.12"]);
    dns.setAddresses("svc.example.test", ["127.0.0.11", "127.0.0.12", "127.0.0.13"]);
    assert.deepEqual((await resolver.resolve4("SVC.example.test")).sort(), ["127.0.0.11", "127.0.0.12", "127.0.0.13"]);
    assert.equal(dns.queries.get("svc.example.test"), 2);
  });

  it("says NXDOMAIN for unknown names and no data for other types of a known one", async () => {
    await assert.rejects(resolver.resolve4("nope.example.test"), { code: "ENOTFOUND" });
    await assert.rejects(resolver.resolve6("svc.example.test"), { code: "ENODATA" });
  });

  describe("with 200 servers", () => {
    before(() => dns.setAddresses(NAME, SERVERS));

    it("UDP without EDNS0: 512 bytes at most, so the first 28 records and TC", async () => {
      const reply = await udpQuery(port, aQuery(NAME));
      assert.equal(reply.length, 503);
      assert.deepEqual(decode(reply), { tc: true, addresses: SERVERS.slice(0, 28), opt: undefined });
    });

    it("UDP with EDNS0: up to the advertised size, never under 512, with an OPT record saying it", async () => {
      const sizes = [];
      for (const [advertised, records] of [[256, 27], [1232, 72], [4096, 200]]) {
        const reply = await udpQuery(port, aQuery(NAME, advertised));
        const { tc, addresses, opt } = decode(reply);
        assert.deepEqual(addresses, SERVERS.slice(0, records));
        sizes.push({ advertised, bytes: reply.length, tc, opt });
      }
      assert.deepEqual(sizes, [
        { advertised: 256, bytes: 498, tc: true, opt: 256 },
        { advertised: 1232, bytes: 1218, tc: true, opt: 1232 },
        { advertised: 4096, bytes: 3266, tc: false, opt: 4096 },
      ]);
    });

    it("UDP past 1480 bytes is compressed even when it would fit, as CoreDNS does against fragmenting", async () => {
      dns.setAddresses("thirty.grpc-lb.svc.cluster.local", SERVERS.slice(0, 30));
      const reply = await udpQuery(port, aQuery("thirty.grpc-lb.svc.cluster.local", 4096));
      assert.equal(reply.length, 12 + 38 + 11 + 30 * 16); // header, question, OPT, 30 records named by a pointer
      assert.equal(dnsPacket.decode(reply).answers?.length, 30);
    });

    it("TCP: every record, uncompressed, several queries on one connection", async () => {
      const connection = await TcpDns.open(port);
      cleanup.add(() => connection.close());
      // Two queries in one write, then one split across two: framing, not packets, delimits them.
      const third = dnsPacket.streamEncode(aQuery(NAME, 1232, 3));
      connection.write(Buffer.concat([dnsPacket.streamEncode(aQuery(NAME, undefined, 1)), dnsPacket.streamEncode(aQuery(NAME, 4096, 2))]));
      connection.write(third.subarray(0, 5), third.subarray(5));
      const replies = await connection.read(3);
      assert.deepEqual(replies.map((r) => dnsPacket.decode(r).id), [1, 2, 3]);
      assert.deepEqual(replies.map((r) => r.length), [10655, 10666, 10666]);
      for (const reply of replies) assert.deepEqual(decode(reply).addresses, SERVERS);
      assert.equal(decode(replies[0]).tc, false);
    });

    it("c-ares (node's Resolver) gets a truncated UDP reply, asks again over TCP and sees all 200", async () => {
      const before = { ...dns.queriesByTransport };
      assert.deepEqual((await resolver.resolve4(NAME)).sort(), [...SERVERS].sort());
      assert.deepEqual({ udp: dns.queriesByTransport.udp - before.udp, tcp: dns.queriesByTransport.tcp - before.tcp }, { udp: 1, tcp: 1 });
    });

    it("grpc-js's dns resolver (dns://127.0.0.1:port/ target, through echo's resolve.js) sees all 200, over UDP then TCP", async () => {
      const before = { ...dns.queriesByTransport };
      const target = `dns://127.0.0.1:${port}/${NAME}:8080`;
      // grpc-js honours the authority only with its c-ares resolver, which resolve.js turns on as the client does.
      const env = { PATH: process.env.PATH ?? "" };
      const out = await new Promise<string>((resolve, reject) =>
        execFile(process.execPath, [RESOLVE, target, "--once"], { env, timeout: 15_000 }, (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stdout}${stderr}`)) : resolve(stdout),
        ),
      );
      assert.deepEqual(JSON.parse(out), { event: "resolved", target, endpoints: SERVERS.map((s) => `${s}:8080`).sort() });
      // A, AAAA and TXT (service config) over UDP; A again over TCP, as its UDP reply was truncated.
      assert.ok(dns.queriesByTransport.udp - before.udp >= 3, JSON.stringify(dns.queriesByTransport));
      assert.ok(dns.queriesByTransport.tcp - before.tcp >= 1, JSON.stringify(dns.queriesByTransport));
    });
  });

  it("stop() closes open TCP connections and both listeners", async () => {
    const own = new HeadlessDns();
    cleanup.add(() => own.stop());
    own.setAddresses(NAME, SERVERS.slice(0, 3));
    const ownPort = await own.start();
    const connection = await TcpDns.open(ownPort);
    cleanup.add(() => connection.close());
    connection.write(dnsPacket.streamEncode(aQuery(NAME)));
    assert.equal(decode((await connection.read(1))[0]).addresses.length, 3);
    await own.stop();
    await connection.closed;
    await assert.rejects(tcpQuery(ownPort, aQuery(NAME)), { code: "ECONNREFUSED" });
  });
});
