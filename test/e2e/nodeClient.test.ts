// The e2e's client on the node dials a DNS name through the cluster DNS, not the node's
// resolv.conf: grpc-js's own resolver with the server in the target's authority. Here the
// real client does that against a DNS stand-in and a server on loopback, so the e2e's way
// of reaching a Service by name is tested without a cluster.
import { strict as assert } from "node:assert";
import { viaDnsServer } from "../../e2e/harness/nodeClient";
import { HeadlessDns } from "../../lab/headlessDns";
import { ServerProcess, freePort, startClient, startServer } from "../../lab/processes";
import { Cleanup } from "../support/cleanup";

const NAME = "echo-proxy.grpc-lb-l7.svc.cluster.local";

describe("e2e: the node client's target through a named DNS server", () => {
  const cleanup = new Cleanup();
  let server: ServerProcess;
  let dns: HeadlessDns;
  let dnsPort: number;

  before(async () => {
    server = await startServer({ name: "server-a", host: "127.0.0.1", port: await freePort(["127.0.0.1"]) });
    cleanup.add(() => server.stop());
    dns = new HeadlessDns();
    dnsPort = await dns.start("127.0.0.1");
    cleanup.add(() => dns.stop());
    dns.setAddresses(NAME, ["127.0.0.1"]);
  });
  after(() => cleanup.run());

  it("keeps the mode's name and puts the server in the authority", () => {
    assert.equal(viaDnsServer(`${NAME}:8080`, "10.123.0.2"), `dns://10.123.0.2:53/${NAME}:8080`);
    assert.equal(viaDnsServer(`dns:///${NAME}:8080`, "10.123.0.2"), `dns://10.123.0.2:53/${NAME}:8080`);
    assert.equal(viaDnsServer(`${NAME}:8080`, "fd00::a", 5353), `dns://[fd00::a]:5353/${NAME}:8080`);
    assert.throws(() => viaDnsServer("kubernetes:///echo-server.ns:grpc", "10.123.0.2"), /not a DNS target/);
  });

  it("the real client, retries off, resolves the name there and is answered", async () => {
    const events: { event: string }[] = [];
    const client = startClient(
      {
        ECHO_SERVICE_TARGET: viaDnsServer(`${NAME}:${server.port}`, "127.0.0.1", dnsPort),
        GRPC_NODE_USE_ALTERNATIVE_RESOLVER: "true",
        ECHO_LB_POLICY: "pick_first",
        ECHO_RETRIES: "0",
        ECHO_REQUESTS: "5",
      },
      (event) => events.push(event),
    );
    const summary = await client.summary;
    assert.equal(summary.ok, 5, JSON.stringify(events.slice(0, 5)));
    assert.deepEqual(Object.keys(summary.byBackend), ["server-a"]);
    assert.ok((dns.queries.get(NAME) ?? 0) > 0, "the DNS stand-in was not asked");
  });
});
