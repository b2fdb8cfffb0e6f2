// Mode l7's proxy as the program declares it: what each resource looks like and that
// the pieces fit (the ConfigMap HAProxy reads, probes on its health port, who may call
// whom), and that the configuration it ships is one HAProxy accepts.
import { strict as assert } from "node:assert";
import type * as k8s from "@pulumi/kubernetes";
import { PROXY_TERMINATION_GRACE_SECONDS } from "../../components/echoProxy";
import { HAPROXY_CONFIG_DIR, HAPROXY_CONFIG_FILE, PROXY_TIMING, serverSlots } from "../../components/haproxyConfig";
import { checkHaproxyConfig } from "../../lab/haproxy";
import { MockRun, mockRun } from "./support/mockRun";

type Deployment = k8s.types.output.apps.v1.Deployment;
type Service = k8s.types.output.core.v1.Service;
type ConfigMap = k8s.types.output.core.v1.ConfigMap;
type NetworkPolicy = k8s.types.output.networking.v1.NetworkPolicy;
type PodDisruptionBudget = k8s.types.output.policy.v1.PodDisruptionBudget;

const NS = "grpc-lb-l7";
const manifest = <M>(run: MockRun, type: string, name?: string) => run.recorder.one(type, name).inputs as unknown as M;

describe("mode l7: the HAProxy proxy", () => {
  let run: MockRun;
  let deployment: Deployment;
  let config: ConfigMap;
  before(async () => {
    run = await mockRun({ mode: "l7" }, "l7");
    deployment = manifest(run, "kubernetes:apps/v1:Deployment", "echo-proxy");
    config = manifest(run, "kubernetes:core/v1:ConfigMap");
  });

  it("ships the generated configuration, which haproxy -c accepts, as an immutable ConfigMap the pods mount", () => {
    const text = config.data[HAPROXY_CONFIG_FILE];
    assert.equal(text, run.stack.proxy!.configText);
    assert.equal(config.immutable, true);
    assert.equal(config.metadata.name, undefined, "auto-named, so a new configuration rolls the Deployment");
    checkHaproxyConfig(text);
    const spec = deployment.spec.template.spec;
    const [container] = spec.containers;
    assert.deepEqual(container.command, ["haproxy", "-W", "-db", "-f", `${HAPROXY_CONFIG_DIR}/${HAPROXY_CONFIG_FILE}`]);
    assert.deepEqual(container.volumeMounts, [{ name: "config", mountPath: HAPROXY_CONFIG_DIR, readOnly: true }]);
    assert.equal(spec.volumes[0].name, "config");
  });

  it("resolves the servers' headless Service through the pod's nameserver, with slots for 16 servers or twice the replicas", () => {
    const text = config.data[HAPROXY_CONFIG_FILE];
    assert.match(text, /^\s+parse-resolv-conf$/m);
    assert.match(text, new RegExp(`^\\s+server-template slot ${serverSlots(3)} echo-server\\.${NS}\\.svc\\.cluster\\.local:8080$`, "m"));
    assert.match(text, /^\s+bind :8080 proto h2$/m);
    // No DNS answer lingers: NXDOMAIN (no ready pod) empties the rotation in 2 s; DNS trouble keeps it 30 s.
    assert.match(text, /^\s+hold nx 2000ms$/m);
    assert.match(text, /^\s+hold timeout 30000ms$/m);
    assert.doesNotMatch(text, /shutdown-sessions/, "it would cut a draining server's calls when DNS drops it");
    assert.equal(serverSlots(3), 16);
    assert.equal(serverSlots(40), 80);
  });

  it("runs 2 proxies of the official image, rolled one at a time, spread over nodes, with a disruption budget", async () => {
    assert.equal(deployment.metadata.namespace, NS);
    assert.equal(deployment.spec.replicas, 2);
    assert.deepEqual(deployment.spec.strategy.rollingUpdate, { maxUnavailable: 0, maxSurge: 1 });
    const spec = deployment.spec.template.spec;
    assert.equal(spec.containers[0].image, "haproxy:3.2");
    assert.equal(spec.topologySpreadConstraints[0].topologyKey, "kubernetes.io/hostname");
    const budget = manifest<PodDisruptionBudget>(run, "kubernetes:policy/v1:PodDisruptionBudget", "echo-proxy");
    assert.equal(budget.spec.maxUnavailable, 1);
    assert.deepEqual(budget.spec.selector.matchLabels, { run: "echo-proxy" });
    const custom = await mockRun({ mode: "l7", proxyReplicas: "3", proxyImage: "registry.example/haproxy:3.2.9" }, "l7");
    const other = manifest<Deployment>(custom, "kubernetes:apps/v1:Deployment", "echo-proxy");
    assert.equal(other.spec.replicas, 3);
    assert.equal(other.spec.template.spec.containers[0].image, "registry.example/haproxy:3.2.9");
  });

  it("is ready only while it has a server (HTTP on its health port), and drains before it stops", () => {
    const spec = deployment.spec.template.spec;
    const [container] = spec.containers;
    assert.deepEqual(container.ports, [
      { name: "grpc", containerPort: 8080, protocol: "TCP" },
      { name: "health", containerPort: 8081, protocol: "TCP" },
    ]);
    assert.deepEqual(container.readinessProbe.httpGet, { path: "/ready", port: "health" });
    assert.deepEqual(container.livenessProbe.httpGet, { path: "/live", port: "health" });
    const text = config.data[HAPROXY_CONFIG_FILE];
    assert.match(text, /if \{ path \/ready \} \{ nbsrv\(servers\) ge 1 \}/);
    assert.equal(container.lifecycle.preStop.sleep.seconds, 5);
    assert.equal(spec.terminationGracePeriodSeconds, PROXY_TERMINATION_GRACE_SECONDS);
    assert.ok(PROXY_TERMINATION_GRACE_SECONDS > 5 + PROXY_TIMING.hardStopAfterMs / 1000);
  });

  it("puts the proxies behind a ClusterIP Service that the clients dial with pick_first", () => {
    const service = manifest<Service>(run, "kubernetes:core/v1:Service", "echo-proxy");
    assert.equal(service.spec.clusterIP, undefined, "a virtual IP, not headless");
    assert.deepEqual(service.spec.selector, { run: "echo-proxy" });
    assert.deepEqual(service.spec.ports, [{ name: "grpc", port: 8080, targetPort: "grpc", protocol: "TCP", appProtocol: "grpc" }]);
    assert.equal(run.outputs.target, `echo-proxy.${NS}.svc.cluster.local:8080`);
    assert.equal(run.outputs.lbPolicy, "pick_first");
    const servers = manifest<Service>(run, "kubernetes:core/v1:Service", "echo-server");
    assert.equal(servers.spec.clusterIP, "None", "the proxy resolves every server pod");
  });

  it("lets the clients reach the proxy and only the proxy reach the servers", () => {
    const toProxy = manifest<NetworkPolicy>(run, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "echo-proxy-allow-clients");
    assert.deepEqual(toProxy.spec.podSelector.matchLabels, { run: "echo-proxy" });
    assert.deepEqual(toProxy.spec.ingress, [{ from: [{ podSelector: { matchLabels: { run: "echo-client" } } }], ports: [{ protocol: "TCP", port: 8080 }] }]);
    const toServers = manifest<NetworkPolicy>(run, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "echo-server-allow-clients");
    assert.deepEqual(toServers.spec.ingress[0].from, [{ podSelector: { matchLabels: { run: "echo-proxy" } } }]);
  });

  it("starts the proxy after the servers, and outputs a command following every proxy's log", () => {
    const urnName = (urn: string) => urn.split("::").pop();
    const waitsFor = run.recorder.one("kubernetes:apps/v1:Deployment", "echo-proxy").dependencies.map(urnName);
    assert.ok(waitsFor.includes("echo-server"), `the proxy waits for ${waitsFor.join(", ")}`);
    assert.equal(run.outputs.proxyLogCommand, `kubectl logs -f -n ${NS} -l run=echo-proxy --prefix`);
  });

  it("lets the log command follow more than kubectl's default of 5 proxies", async () => {
    const many = await mockRun({ mode: "l7", proxyReplicas: "6" }, "l7");
    assert.equal(many.outputs.proxyLogCommand, `kubectl logs -f -n ${NS} -l run=echo-proxy --prefix --max-log-requests 6`);
  });

  it("registers no proxy and outputs no proxy command in the other modes", async () => {
    const other = await mockRun({ mode: "l4" }, "l4");
    assert.deepEqual(other.recorder.seen().filter((r) => r.includes("echo-proxy")), []);
    assert.equal(other.outputs.proxyLogCommand, undefined);
  });
});
