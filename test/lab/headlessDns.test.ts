// The headless-Service stand-in answers like a real DNS server, checked with
// Node's own c-ares resolver (what grpc-js uses for dns://server/name targets).
import { strict as assert } from "node:assert";
import { Resolver } from "node:dns/promises";
import { HeadlessDns } from "../../lab/headlessDns";

describe("HeadlessDns", () => {
  const dns = new HeadlessDns();
  // One try (the test counts queries), with a timeout a busy machine will not run into.
  const resolver = new Resolver({ timeout: 10000, tries: 1 });

  before(async () => {
    const port = await dns.start();
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
});
