// Which endpoints a Service's EndpointSlices route to (pure functions, no server).
import { strict as assert } from "node:assert";
import { EndpointSlice, hostPortToString, routableEndpoints, whyNoEndpoints } from "../../../echo/kubernetes/endpointSlices";
import { EndpointSpec, SliceSpec, endpointSlice } from "../../../lab/kubeApiStandIn";

const GRPC = [{ name: "grpc", port: 8080 }];

function slices(...specs: SliceSpec[]): Map<string, EndpointSlice> {
  return new Map(specs.map((spec) => [spec.name, endpointSlice(spec)]));
}

function route(set: Map<string, EndpointSlice>, port: string | number = "grpc"): string[] {
  return routableEndpoints(set, port).map(hostPortToString);
}

describe("EndpointSlices to endpoints", () => {
  it("takes the union of all slices, each ip:port once, sorted numerically", () => {
    const set = slices(
      { name: "a", endpoints: [{ ip: "10.0.0.10" }, { ip: "10.0.0.2" }], ports: GRPC },
      { name: "b", endpoints: [{ ip: "10.0.0.2" }, { ip: "10.0.0.3" }], ports: GRPC },
    );
    assert.deepEqual(route(set), ["10.0.0.2:8080", "10.0.0.3:8080", "10.0.0.10:8080"]);
  });

  it("routes to ready endpoints, absent ready meaning ready; not-ready ones never while any is ready", () => {
    const endpoints: EndpointSpec[] = [
      { ip: "10.0.0.1" },
      { ip: "10.0.0.2", ready: true },
      { ip: "10.0.0.3", ready: false },
      { ip: "10.0.0.4", ready: false, serving: true, terminating: true },
      { ip: "10.0.0.5", ready: false, serving: false, terminating: true },
    ];
    assert.deepEqual(route(slices({ name: "a", endpoints, ports: GRPC })), ["10.0.0.1:8080", "10.0.0.2:8080"]);
  });

  it("falls back to serving-and-terminating endpoints only when nothing in any slice is ready", () => {
    const draining: SliceSpec = {
      name: "a",
      endpoints: [
        { ip: "10.0.0.3", ready: false },
        { ip: "10.0.0.4", ready: false, serving: true, terminating: true },
        { ip: "10.0.0.5", ready: false, terminating: true }, // serving absent means serving
        { ip: "10.0.0.6", ready: false, serving: false, terminating: true },
        { ip: "10.0.0.7", ready: false, serving: true }, // terminating absent means not terminating
      ],
      ports: GRPC,
    };
    assert.deepEqual(route(slices(draining)), ["10.0.0.4:8080", "10.0.0.5:8080"]);
    // One ready endpoint in another slice: no fallback anywhere.
    assert.deepEqual(route(slices(draining, { name: "b", endpoints: [{ ip: "10.0.0.9" }], ports: GRPC })), ["10.0.0.9:8080"]);
    assert.deepEqual(route(slices({ name: "a", endpoints: [{ ip: "10.0.0.3", ready: false }], ports: GRPC })), []);
  });

  it("looks the port name up in each slice; a slice without it contributes nothing; a number is used as is", () => {
    const set = slices(
      { name: "a", endpoints: [{ ip: "10.0.0.1" }], ports: [{ name: "grpc", port: 8080 }] },
      { name: "b", endpoints: [{ ip: "10.0.0.2" }], ports: [{ name: "grpc", port: 9090 }, { name: "http", port: 80 }] },
      { name: "c", endpoints: [{ ip: "10.0.0.3" }], ports: [{ name: "http", port: 80 }] },
      { name: "d", endpoints: [{ ip: "10.0.0.4" }], ports: [] },
      { name: "e", endpoints: [{ ip: "10.0.0.5" }], ports: [{ name: "grpc", port: 7070, protocol: "UDP" }] },
    );
    assert.deepEqual(route(set), ["10.0.0.1:8080", "10.0.0.2:9090"]);
    assert.deepEqual(route(set, "http"), ["10.0.0.2:80", "10.0.0.3:80"]);
    assert.deepEqual(route(set, 7000), ["10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000", "10.0.0.4:7000", "10.0.0.5:7000"]);
  });

  it("reads IPv4 and IPv6 slices (IPv6 host without brackets), ignores FQDN and addresses of the wrong family", () => {
    const set = slices(
      { name: "v6", addressType: "IPv6", endpoints: [{ ip: "fd00::2" }, { ip: "10.0.0.8" }], ports: GRPC },
      { name: "v4", endpoints: [{ ip: "10.0.0.1" }, { ip: "fd00::9" }], ports: GRPC },
      { name: "names", addressType: "FQDN", endpoints: [{ ip: "pod-1.example.com" }], ports: GRPC },
    );
    assert.deepEqual(routableEndpoints(set, "grpc"), [
      { host: "10.0.0.1", port: 8080 },
      { host: "fd00::2", port: 8080 },
    ]);
    assert.equal(hostPortToString({ host: "fd00::2", port: 8080 }), "[fd00::2]:8080");
  });

  it("gives the same order whatever order the slices came in", () => {
    const a: SliceSpec = { name: "a", endpoints: [{ ip: "10.0.0.9" }, { ip: "fd00::1" }], ports: GRPC };
    const b: SliceSpec = { name: "b", endpoints: [{ ip: "10.0.0.1" }, { ip: "10.0.1.0" }], ports: GRPC };
    assert.deepEqual(route(slices(a, b)), route(slices(b, a)));
  });

  it("survives slices with no endpoints or ports lists, and explains an empty result", () => {
    const bare = new Map<string, EndpointSlice>([["x", { metadata: { name: "x" }, addressType: "IPv4", endpoints: null, ports: null }]]);
    assert.deepEqual(route(bare), []);
    assert.match(whyNoEndpoints(new Map(), "grpc"), /no EndpointSlices/);
    const httpOnly = slices({ name: "a", endpoints: [{ ip: "10.0.0.1" }], ports: [{ name: "http", port: 80 }] });
    assert.match(whyNoEndpoints(httpOnly, "grpc"), /no EndpointSlice has a TCP port named "grpc" \(ports: "http"\)/);
    assert.match(whyNoEndpoints(slices({ name: "a", endpoints: [], ports: GRPC }), "grpc"), /list no endpoints/);
    assert.match(whyNoEndpoints(slices({ name: "a", endpoints: [{ ip: "10.0.0.1", ready: false }], ports: GRPC }), "grpc"), /1 endpoint\(s\), none ready/);
  });
});
