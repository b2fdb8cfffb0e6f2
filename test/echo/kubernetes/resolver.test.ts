// The grpc-js resolver class on its own: target forms, what it hands the listener and
// when, the rate limit on re-emission, destroy and restart (stand-in API over HTTPS).
import { strict as assert } from "node:assert";
import * as grpc from "@grpc/grpc-js";
import { parseUri } from "@grpc/grpc-js/build/src/uri-parser";
import { EXPECTED_TARGET_FORMS, KubernetesResolver, ResolverReport, parseKubernetesTarget } from "../../../echo/kubernetes/resolver";
import { SliceWatchRegistry } from "../../../echo/kubernetes/sliceWatch";
import { endpointSlice } from "../../../lab/kubeApiStandIn";
import { Cleanup } from "../../support/cleanup";
import { ApiFixture, FAST, startApiFixture, until } from "./apiFixture";

type Endpoint = grpc.experimental.Endpoint;
type StatusOr<T> = grpc.experimental.StatusOr<T>;

function uri(target: string): grpc.experimental.GrpcUri {
  const parsed = parseUri(target);
  if (!parsed) throw new Error(`grpc-js cannot parse ${target}`);
  return parsed;
}

interface Call {
  result: StatusOr<Endpoint[]>;
  serviceConfig: unknown;
  note: string;
}

/** Records what the resolver hands its channel, in the simplest readable form. */
class FakeChannel {
  readonly calls: Call[] = [];
  readonly listener: grpc.experimental.ResolverListener = (result, _attributes, serviceConfig, note) => {
    this.calls.push({ result, serviceConfig, note });
    return true;
  };

  describe(call: Call): string {
    if (!call.result.ok) return `${grpc.status[call.result.error.code]}: ${call.result.error.details}`;
    const endpoints = call.result.value.map((e) => e.addresses.map((a) => grpc.experimental.subchannelAddressToString(a)).join("|"));
    return endpoints.join(",") || "[]";
  }

  get seen(): string[] {
    return this.calls.map((c) => this.describe(c));
  }
}

describe("kubernetes resolver", () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  let fixture: ApiFixture;
  let registry: SliceWatchRegistry;
  beforeEach(async () => {
    fixture = await startApiFixture(cleanup);
    registry = fixture.registry({ ...FAST, watchTimeoutSeconds: 60 });
    fixture.api.putSlice("ns", "echo", endpointSlice({ name: "echo-a", endpoints: [{ ip: "10.0.0.1" }], ports: [{ name: "grpc", port: 8080 }] }));
    fixture.api.putSlice(
      "ns",
      "echo",
      endpointSlice({ name: "echo-b", addressType: "IPv6", endpoints: [{ ip: "fd00::2" }, { ip: "fd00::1" }], ports: [{ name: "grpc", port: 8080 }] }),
    );
  });

  function resolver(target: string, channel: FakeChannel, report?: (target: string, report: ResolverReport) => void): KubernetesResolver {
    const created = new KubernetesResolver(uri(target), channel.listener, {}, report, registry);
    cleanup.add(() => created.destroy());
    return created;
  }

  it("parses kuberesolver's form, the .svc.<domain> form and the namespace-as-authority form", () => {
    const cases: [string, object][] = [
      ["kubernetes:///echo-server.grpc-lb:grpc", { service: "echo-server", namespace: "grpc-lb", port: "grpc" }],
      ["kubernetes:///echo-server.grpc-lb:8080", { service: "echo-server", namespace: "grpc-lb", port: 8080 }],
      ["kubernetes:///echo-server.grpc-lb.svc.cluster.local:grpc", { service: "echo-server", namespace: "grpc-lb", port: "grpc" }],
      ["kubernetes:///echo-server.grpc-lb.svc:grpc", { service: "echo-server", namespace: "grpc-lb", port: "grpc" }],
      ["kubernetes://grpc-lb/echo-server:grpc", { service: "echo-server", namespace: "grpc-lb", port: "grpc" }],
      ["kubernetes:echo-server.grpc-lb:grpc", { service: "echo-server", namespace: "grpc-lb", port: "grpc" }],
    ];
    for (const [target, expected] of cases) {
      assert.deepEqual(parseKubernetesTarget(uri(target)), expected, target);
      assert.equal(KubernetesResolver.getDefaultAuthority(uri(target)), "echo-server.grpc-lb.svc", target);
    }
  });

  it("rejects a target without namespace or port, naming the target and the expected forms", () => {
    const cases: [string, RegExp][] = [
      ["kubernetes:///echo-server:grpc", /no namespace/],
      ["kubernetes:///echo-server.grpc-lb", /no port/],
      ["kubernetes:///echo-server.grpc-lb:", /no port/],
      ["kubernetes://grpc-lb/echo-server", /no port/],
      ["kubernetes:///echo-server.grpc-lb:99999", /port 99999 is not between 1 and 65535/],
      ["kubernetes:///echo-server.grpc-lb:not_a_port", /"not_a_port" is neither a port number nor a port name/],
      ["kubernetes:///Echo.grpc-lb:grpc", /service "Echo" is not a DNS label/],
      ["kubernetes:///echo.grpc-lb.cluster.local:grpc", /is not <service>.<namespace> nor <service>.<namespace>.svc.<domain>/],
    ];
    for (const [target, problem] of cases) {
      assert.throws(() => parseKubernetesTarget(uri(target)), (error: Error) => {
        assert.match(error.message, problem, target);
        assert.ok(error.message.startsWith(`invalid target ${target}: `), error.message);
        assert.ok(error.message.endsWith(`expected ${EXPECTED_TARGET_FORMS}`), error.message);
        return true;
      });
      // Still a valid URL host, so the channel is created and reports the error.
      assert.doesNotThrow(() => new URL(`http://${KubernetesResolver.getDefaultAuthority(uri(target))}/`), target);
    }
  });

  it("starts on updateResolution, never calls the listener synchronously, gives one endpoint per pod and no service config", async () => {
    const channel = new FakeChannel();
    const reports: ResolverReport[] = [];
    const created = resolver("kubernetes:///echo.ns:grpc", channel, (_target, report) => reports.push(report));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(fixture.api.lists, 0, "nothing before updateResolution");
    created.updateResolution();
    assert.equal(channel.calls.length, 0);
    await until("resolved", () => channel.calls.length === 1);
    const [call] = channel.calls;
    assert.ok(call.result.ok);
    assert.deepEqual(call.result.value, [
      { addresses: [{ host: "10.0.0.1", port: 8080 }] },
      { addresses: [{ host: "fd00::1", port: 8080 }] },
      { addresses: [{ host: "fd00::2", port: 8080 }] },
    ]);
    assert.equal(call.serviceConfig, null);
    assert.equal(reports.length, 1);
  });

  it("reports an empty list, then UNAVAILABLE naming the service, namespace and reason", async () => {
    const channel = new FakeChannel();
    const reports: ResolverReport[] = [];
    resolver("kubernetes:///missing.ns:grpc", channel, (_target, report) => reports.push(report)).updateResolution();
    await until("resolved", () => channel.calls.length === 2);
    const message =
      'no ready endpoints for service "missing" in namespace "ns" (port grpc): the Service has no EndpointSlices (is there a Service by that name, with a selector?)';
    assert.deepEqual(channel.seen, ["[]", `UNAVAILABLE: ${message}`]);
    assert.deepEqual(reports, [{ endpoints: [], error: { code: grpc.status.UNAVAILABLE, message } }]);
  });

  it("reports an API error with no endpoints known as UNAVAILABLE with the API's problem", async () => {
    fixture.api.forbid("ns");
    const channel = new FakeChannel();
    resolver("kubernetes:///echo.ns:grpc", channel).updateResolution();
    await until("resolved", () => channel.calls.length === 2);
    assert.equal(channel.seen[0], "[]");
    assert.match(channel.seen[1], /^UNAVAILABLE: cannot watch the endpoints of service "echo" in namespace "ns": 403 Forbidden/);
  });

  it("reports an invalid target as UNAVAILABLE with the expected forms, without watching anything", async () => {
    const channel = new FakeChannel();
    resolver("kubernetes:///echo:grpc", channel).updateResolution();
    await until("resolved", () => channel.calls.length === 2);
    assert.equal(channel.seen[1], `UNAVAILABLE: invalid target kubernetes:///echo:grpc: no namespace; expected ${EXPECTED_TARGET_FORMS}`);
    assert.equal(registry.activeWatches, 0);
  });

  it("does not spin: updateResolution in a tight loop re-emits at most about once a second", async () => {
    const channel = new FakeChannel();
    const created = resolver("kubernetes:///echo.ns:grpc", channel);
    created.updateResolution();
    await until("resolved", () => channel.calls.length === 1);
    const started = Date.now();
    let updates = 0;
    while (Date.now() - started < 2500) {
      for (let i = 0; i < 1000; i++) created.updateResolution();
      updates += 1000;
      await new Promise((resolve) => setImmediate(resolve)); // lets timers and I/O run, as a busy channel would
    }
    const reemits = channel.calls.length - 1;
    assert.ok(updates > 10_000, `only ${updates} updateResolution calls`);
    assert.ok(reemits >= 1 && reemits <= 4, `${reemits} re-emissions for ${updates} updateResolution calls in 2.5 s`);
    assert.ok(new Set(channel.seen).size === 1, "re-emissions repeat the same result");
    assert.equal(fixture.api.lists + fixture.api.watches, 2, "re-emission does not ask the API");
  });

  it("after destroy calls nothing, and updateResolution starts again (grpc-js destroys resolvers on idle)", async () => {
    const channel = new FakeChannel();
    const created = resolver("kubernetes:///echo.ns:grpc", channel);
    created.updateResolution();
    await until("resolved", () => channel.calls.length === 1 && fixture.api.openWatches === 1);
    // A change on its way, then destroy: the change must not reach the listener.
    fixture.api.putSlice("ns", "echo", endpointSlice({ name: "echo-c", endpoints: [{ ip: "10.0.0.3" }], ports: [{ name: "grpc", port: 8080 }] }));
    created.destroy();
    assert.equal(registry.activeWatches, 0);
    await until("watch closed", () => fixture.api.openWatches === 0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(channel.calls.length, 1, "a call after destroy");
    created.updateResolution();
    await until("resolved again", () => channel.calls.length === 2);
    assert.equal(channel.seen[1], "10.0.0.1:8080,10.0.0.3:8080,[fd00::1]:8080,[fd00::2]:8080");
    assert.equal(fixture.api.lists, 2);
    assert.equal(registry.activeWatches, 1);
  });

  it("shares one watch between resolvers of the same Service", async () => {
    const [one, two] = [new FakeChannel(), new FakeChannel()];
    resolver("kubernetes:///echo.ns:grpc", one).updateResolution();
    resolver("kubernetes://ns/echo:8080", two).updateResolution();
    await until("both resolved", () => one.calls.length === 1 && two.calls.length === 1 && fixture.api.openWatches === 1);
    assert.deepEqual([fixture.api.lists, fixture.api.watches, registry.activeWatches], [1, 1, 1]);
  });
});
