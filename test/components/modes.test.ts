// Both modes in one run: what each resource looks like, and that the pieces fit
// together (selectors, ports, probes, hardening, namespace, network policy).
import { strict as assert } from "node:assert";
import type * as k8s from "@pulumi/kubernetes";
import { ENDPOINTSLICE_RULE } from "../../components/endpointSliceAccess";
import { MODES } from "../../components/mode";
import { CLIENT_KEEPALIVE, SERVER_KEEPALIVE } from "../../echo/keepalive";
import { MockRun, Registration, mockRun } from "./support/mockRun";

type Deployment = k8s.types.output.apps.v1.Deployment;
type StatefulSet = k8s.types.output.apps.v1.StatefulSet;
type Service = k8s.types.output.core.v1.Service;
type Namespace = k8s.types.output.core.v1.Namespace;
type NetworkPolicy = k8s.types.output.networking.v1.NetworkPolicy;
type PodDisruptionBudget = k8s.types.output.policy.v1.PodDisruptionBudget;
type PodTemplate = k8s.types.output.core.v1.PodTemplateSpec;
type Container = k8s.types.output.core.v1.Container;

const T = {
  namespace: "kubernetes:core/v1:Namespace",
  deployment: "kubernetes:apps/v1:Deployment",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  service: "kubernetes:core/v1:Service",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  disruptionBudget: "kubernetes:policy/v1:PodDisruptionBudget",
  serviceAccount: "kubernetes:core/v1:ServiceAccount",
  role: "kubernetes:rbac.authorization.k8s.io/v1:Role",
  roleBinding: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
  image: "docker:index/image:Image",
};

function manifest<M>(r: Registration): M {
  return r.inputs as unknown as M;
}

function env(container: Container): Record<string, string | undefined> {
  return Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
}

function isSubset(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

const NS = "grpc-lb-test";
const HOST = `echo-server.${NS}.svc.cluster.local:8080`;

const expectations = {
  l4: {
    service: { type: "ClusterIP", sessionAffinity: "None", clusterIP: undefined },
    target: HOST,
    policy: "pick_first",
    maxConnectionAgeMs: "0",
  },
  clientside: {
    service: { type: "ClusterIP", sessionAffinity: "None", clusterIP: "None" },
    target: `dns:///${HOST}`,
    policy: "round_robin",
    maxConnectionAgeMs: "30000",
  },
  api: {
    service: { type: "ClusterIP", sessionAffinity: "None", clusterIP: "None" },
    target: `kubernetes:///echo-server.${NS}:grpc`,
    policy: "round_robin",
    maxConnectionAgeMs: "0",
  },
  l7: {
    service: { type: "ClusterIP", sessionAffinity: "None", clusterIP: "None" },
    target: `echo-proxy.${NS}.svc.cluster.local:8080`,
    policy: "pick_first",
    maxConnectionAgeMs: "0",
  },
} as const;

/** Mode l7's proxy: its component, ConfigMap (auto-named), Deployment, Service, policy and budget. */
const PROXY = [
  "grpc-lb:index:EchoProxy::echo-proxy",
  "kubernetes:core/v1:ConfigMap::echo-proxy",
  "kubernetes:apps/v1:Deployment::echo-proxy",
  "kubernetes:core/v1:Service::echo-proxy",
  "kubernetes:networking.k8s.io/v1:NetworkPolicy::echo-proxy-allow-clients",
  "kubernetes:policy/v1:PodDisruptionBudget::echo-proxy",
];

const RBAC = [
  "kubernetes:core/v1:ServiceAccount::echo-client",
  "kubernetes:rbac.authorization.k8s.io/v1:Role::echo-client-read-endpointslices",
  "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding::echo-client-read-endpointslices",
];

for (const mode of MODES) {
  describe(`mode ${mode}`, () => {
    const expected = expectations[mode];
    let run: MockRun;
    let deployment: Deployment;
    let statefulSet: StatefulSet;
    let service: Service;
    let server: Container;
    let client: Container;
    /** Who may call the servers, and what the clients wait for: the proxy in l7, else the clients and the servers. */
    const serversCalledBy = mode === "l7" ? "echo-proxy" : "echo-client";
    const clientsDial = mode === "l7" ? "echo-proxy" : "echo-server";

    before(async () => {
      run = await mockRun({ mode });
      deployment = manifest(run.recorder.one(T.deployment, "echo-server"));
      statefulSet = manifest(run.recorder.one(T.statefulSet));
      service = manifest(run.recorder.one(T.service, "echo-server"));
      server = deployment.spec.template.spec.containers[0];
      client = statefulSet.spec.template.spec.containers[0];
    });

    it("registers the namespace, image, servers, clients, network policy and disruption budget, each once", () => {
      const rbac = mode === "api" ? RBAC : [];
      const proxy = mode === "l7" ? PROXY : [];
      assert.deepEqual(run.recorder.seen(), [
        "docker:index/image:Image::echo",
        "grpc-lb:index:EchoClients::echo-client",
        "grpc-lb:index:EchoImage::echo",
        "grpc-lb:index:EchoServers::echo-server",
        "kubernetes:apps/v1:Deployment::echo-server",
        "kubernetes:apps/v1:StatefulSet::echo-client",
        "kubernetes:core/v1:Namespace::namespace",
        "kubernetes:core/v1:Service::echo-server",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy::echo-server-allow-clients",
        "kubernetes:policy/v1:PodDisruptionBudget::echo-server",
        ...rbac,
        ...proxy,
      ].sort());
    });

    it("lets voluntary evictions (kubectl drain) take one server at a time", () => {
      const budget = manifest<PodDisruptionBudget>(run.recorder.one(T.disruptionBudget, "echo-server"));
      assert.equal(budget.metadata.namespace, NS);
      assert.equal(budget.spec.maxUnavailable, 1);
      assert.equal(budget.spec.minAvailable, undefined, "minAvailable on one replica would block drains forever");
      assert.deepEqual(budget.spec.selector.matchLabels, deployment.spec.selector.matchLabels);
      assert.equal(budget.spec.unhealthyPodEvictionPolicy, "AlwaysAllow");
    });

    it(`gives Service echo-server the ${mode} shape, port 8080 named grpc`, () => {
      assert.equal(service.metadata.name, "echo-server");
      assert.equal(service.spec.type, expected.service.type);
      assert.equal(service.spec.sessionAffinity, expected.service.sessionAffinity);
      assert.equal(service.spec.clusterIP, expected.service.clusterIP);
      assert.deepEqual(service.spec.ports, [
        { name: "grpc", port: 8080, targetPort: "grpc", protocol: "TCP", appProtocol: "grpc" },
      ]);
    });

    it("replaces the Service, deleting it first, when clusterIP changes (mode switch)", () => {
      const registration = run.recorder.one(T.service, "echo-server");
      assert.deepEqual(registration.replaceOnChanges, ["spec.clusterIP"]);
      assert.equal(registration.deleteBeforeReplace, true);
    });

    it(`points clients at ${expected.target} with ${expected.policy}`, () => {
      assert.deepEqual(env(client), {
        ECHO_SERVICE_TARGET: expected.target,
        ECHO_LB_POLICY: expected.policy,
        ECHO_CONCURRENCY: "4",
        ECHO_KEEPALIVE_TIME_MS: String(CLIENT_KEEPALIVE.timeMs),
        ECHO_KEEPALIVE_TIMEOUT_MS: String(CLIENT_KEEPALIVE.timeoutMs),
        ECHO_LOG_FORMAT: "text",
      });
      assert.equal(run.outputs.target, expected.target);
      assert.equal(run.outputs.lbPolicy, expected.policy);
      assert.equal(run.outputs.mode, mode);
    });

    it(`sets the servers' MAX_CONNECTION_AGE_MS to ${expected.maxConnectionAgeMs}`, () => {
      assert.deepEqual(env(server), {
        PORT: "8080",
        POD_NAME: undefined,
        POD_IP: undefined,
        MAX_CONNECTION_AGE_MS: expected.maxConnectionAgeMs,
        MAX_CONNECTION_AGE_GRACE_MS: "10000",
        SHUTDOWN_GRACE_MS: "10000",
        KEEPALIVE_TIME_MS: String(SERVER_KEEPALIVE.timeMs),
        KEEPALIVE_TIMEOUT_MS: String(SERVER_KEEPALIVE.timeoutMs),
        LOG_REQUESTS: "false",
      });
      const fieldPaths = Object.fromEntries(
        (server.env ?? []).filter((e) => e.valueFrom).map((e) => [e.name, e.valueFrom.fieldRef.fieldPath]),
      );
      assert.deepEqual(fieldPaths, { POD_NAME: "metadata.name", POD_IP: "status.podIP" });
    });

    it("runs 3 server replicas (Deployment) and 2 clients (Parallel StatefulSet running the client)", () => {
      assert.equal(deployment.metadata.name, "echo-server");
      assert.equal(deployment.spec.replicas, 3);
      assert.equal(statefulSet.metadata.name, "echo-client");
      assert.equal(statefulSet.spec.replicas, 2);
      assert.equal(statefulSet.spec.podManagementPolicy, "Parallel");
      assert.deepEqual(client.command, ["node", "dist/echo/client.js"]);
      assert.equal(server.command, undefined, "the server runs the image's default CMD");
    });

    it("selects the server pods, and only them, from the Service, Deployment and NetworkPolicy", () => {
      const podLabels = deployment.spec.template.metadata.labels;
      const clientLabels = statefulSet.spec.template.metadata.labels;
      assert.equal(podLabels.run, "echo-server");
      assert.equal(clientLabels.run, "echo-client");
      assert.equal(podLabels["app.kubernetes.io/name"], "echo-server");
      assert.equal(clientLabels["app.kubernetes.io/component"], "client");
      const policy = manifest<NetworkPolicy>(run.recorder.one(T.networkPolicy, "echo-server-allow-clients"));
      for (const selector of [service.spec.selector, deployment.spec.selector.matchLabels, policy.spec.podSelector.matchLabels]) {
        assert.ok(Object.keys(selector).length > 0);
        assert.ok(isSubset(selector, podLabels), `${JSON.stringify(selector)} must match the server pods`);
        assert.ok(!isSubset(selector, clientLabels), `${JSON.stringify(selector)} must not match the client pods`);
      }
      assert.ok(isSubset(statefulSet.spec.selector.matchLabels, clientLabels));
    });

    it("has the Service's targetPort, the container port and both gRPC probes on one port", () => {
      const ports = server.ports ?? [];
      assert.equal(ports.length, 1);
      const [port] = ports;
      assert.deepEqual(port, { name: "grpc", containerPort: 8080, protocol: "TCP" });
      const targetPort = service.spec.ports[0].targetPort;
      assert.ok(targetPort === port.name || targetPort === port.containerPort, `targetPort ${targetPort}`);
      assert.deepEqual(server.readinessProbe.grpc, { port: port.containerPort, service: "com.example.grpc.EchoService" });
      assert.deepEqual(server.livenessProbe.grpc, { port: port.containerPort, service: "" });
      assert.equal(server.readinessProbe.httpGet, undefined);
      assert.equal(server.readinessProbe.exec, undefined);
    });

    it("gives the servers time to drain: preStop sleep + shutdown grace < termination grace", () => {
      const spec = deployment.spec.template.spec;
      const pause = server.lifecycle.preStop.sleep.seconds;
      assert.equal(pause, 5);
      assert.equal(server.lifecycle.preStop.exec, undefined, "no sleep binary needed in the image");
      const shutdownSeconds = Number(env(server).SHUTDOWN_GRACE_MS) / 1000;
      assert.equal(spec.terminationGracePeriodSeconds, 20);
      assert.ok(spec.terminationGracePeriodSeconds > pause + shutdownSeconds);
      assert.deepEqual(deployment.spec.strategy.rollingUpdate, { maxUnavailable: 0, maxSurge: 1 });
    });

    it("hardens every pod template for Pod Security restricted", () => {
      const templates = run.recorder.registrations
        .map((r) => ({ r, template: (r.inputs.spec as { template?: PodTemplate } | undefined)?.template }))
        .filter((t) => t.template !== undefined);
      const workloads = [T.deployment, ...(mode === "l7" ? [T.deployment] : []), T.statefulSet];
      assert.deepEqual(templates.map((t) => t.r.type).sort(), workloads);
      for (const { r, template } of templates) {
        const spec = template!.spec;
        const where = `${r.type} ${r.name}`;
        assert.deepEqual(
          spec.securityContext,
          { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: "RuntimeDefault" } },
          where,
        );
        // Only clients that resolve through the Kubernetes API get a token (checked below).
        assert.equal(spec.automountServiceAccountToken, mode === "api" && r.type === T.statefulSet, where);
        assert.equal(spec.hostNetwork, undefined, where);
        // The proxy reads its configuration from a ConfigMap, and nothing else is mounted.
        const volumes = r.name === "echo-proxy" ? ["configMap"] : [];
        assert.deepEqual((spec.volumes ?? []).map((v) => Object.keys(v).filter((k) => k !== "name")).flat(), volumes, where);
        assert.ok(spec.containers.length > 0, where);
        for (const container of [...spec.containers, ...(spec.initContainers ?? [])]) {
          assert.deepEqual(
            container.securityContext,
            {
              runAsNonRoot: true,
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              capabilities: { drop: ["ALL"] },
              seccompProfile: { type: "RuntimeDefault" },
            },
            `${where} container ${container.name}`,
          );
          assert.ok(container.resources.requests.cpu && container.resources.requests.memory, where);
          assert.ok(container.resources.limits.cpu && container.resources.limits.memory, where);
        }
      }
    });

    it("creates the namespace enforcing Pod Security restricted, and puts everything in it", () => {
      const namespace = manifest<Namespace>(run.recorder.one(T.namespace));
      assert.equal(namespace.metadata.name, NS);
      assert.equal(namespace.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
      assert.equal(namespace.metadata.labels["pod-security.kubernetes.io/enforce-version"], "latest");
      assert.equal(namespace.metadata.labels["pod-security.kubernetes.io/warn"], "restricted");
      assert.equal(namespace.metadata.labels["pod-security.kubernetes.io/audit"], "restricted");
      const namespaced = run.recorder.registrations.filter((r) => r.custom && r.type.startsWith("kubernetes:") && r.type !== T.namespace);
      assert.ok(namespaced.length >= 5);
      for (const r of namespaced) {
        assert.equal(manifest<{ metadata: { namespace: string } }>(r).metadata.namespace, NS, `${r.type} ${r.name}`);
      }
      assert.equal(run.outputs.namespace, NS);
    });

    it(`lets only ${serversCalledBy} pods reach echo-server, on TCP 8080`, () => {
      const policy = manifest<NetworkPolicy>(run.recorder.one(T.networkPolicy, "echo-server-allow-clients"));
      assert.deepEqual(policy.spec.podSelector, { matchLabels: { run: "echo-server" } });
      assert.deepEqual(policy.spec.policyTypes, ["Ingress"]);
      assert.deepEqual(policy.spec.ingress, [
        { from: [{ podSelector: { matchLabels: { run: serversCalledBy } } }], ports: [{ protocol: "TCP", port: 8080 }] },
      ]);
    });

    it("parents every resource to its component", () => {
      const parentOf = Object.fromEntries(run.recorder.registrations.map((r) => [`${r.type}::${r.name}`, r.parent]));
      const urnType = (urn: string) => urn.split("::")[2]?.split("$").pop();
      assert.equal(urnType(parentOf[`${T.deployment}::echo-server`]), "grpc-lb:index:EchoServers");
      assert.equal(urnType(parentOf[`${T.service}::echo-server`]), "grpc-lb:index:EchoServers");
      assert.equal(urnType(parentOf[`${T.networkPolicy}::echo-server-allow-clients`]), "grpc-lb:index:EchoServers");
      assert.equal(urnType(parentOf[`${T.disruptionBudget}::echo-server`]), "grpc-lb:index:EchoServers");
      assert.equal(urnType(parentOf[`${T.statefulSet}::echo-client`]), "grpc-lb:index:EchoClients");
      assert.equal(urnType(parentOf[`${T.image}::echo`]), "grpc-lb:index:EchoImage");
    });

    it(`creates the clients only after the ${clientsDial} Deployment and Service are done`, () => {
      const urnType = (urn: string) => urn.split("::")[2]?.split("$").pop();
      const waitsFor = run.recorder.one(T.statefulSet).dependencies.map((urn) => `${urnType(urn)}::${urn.split("::").pop()}`);
      assert.ok(waitsFor.includes(`${T.deployment}::${clientsDial}`), `StatefulSet waits for ${waitsFor.join(", ") || "nothing"}`);
      assert.ok(waitsFor.includes(`${T.service}::${clientsDial}`), `StatefulSet waits for ${waitsFor.join(", ") || "nothing"}`);
    });
  });
}

describe("mode api: least privilege for the clients' resolver", () => {
  let run: MockRun;
  before(async () => {
    run = await mockRun({ mode: "api" });
  });

  it("gives the clients their own ServiceAccount, allowed to list and watch endpointslices and nothing else", () => {
    const account = manifest<k8s.types.output.core.v1.ServiceAccount>(run.recorder.one(T.serviceAccount));
    assert.equal(account.metadata.name, "echo-client");
    assert.equal(account.metadata.namespace, NS);
    assert.equal(account.automountServiceAccountToken, false, "only the pods that need it mount the token");
    const role = manifest<k8s.types.output.rbac.v1.Role>(run.recorder.one(T.role));
    assert.equal(role.metadata.namespace, NS, "a Role in the servers' namespace, not a ClusterRole");
    assert.deepEqual(role.rules, [{ apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] }]);
    assert.deepEqual(role.rules, [ENDPOINTSLICE_RULE]);
    const binding = manifest<k8s.types.output.rbac.v1.RoleBinding>(run.recorder.one(T.roleBinding));
    assert.deepEqual(binding.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name });
    assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "echo-client", namespace: NS }]);
  });

  it("mounts that token in the client pods only, and starts them after the binding exists", () => {
    const clients = manifest<StatefulSet>(run.recorder.one(T.statefulSet)).spec.template.spec;
    assert.equal(clients.serviceAccountName, "echo-client");
    assert.equal(clients.automountServiceAccountToken, true);
    const servers = manifest<Deployment>(run.recorder.one(T.deployment, "echo-server")).spec.template.spec;
    assert.equal(servers.serviceAccountName, undefined);
    assert.equal(servers.automountServiceAccountToken, false);
    const waitsFor = run.recorder.one(T.statefulSet).dependencies.map((urn) => urn.split("::").pop());
    assert.ok(waitsFor.includes("echo-client-read-endpointslices"), `StatefulSet waits for ${waitsFor.join(", ")}`);
  });

  it("registers no API access in the other modes", async () => {
    for (const mode of MODES.filter((m) => m !== "api")) {
      const other = await mockRun({ mode });
      assert.deepEqual(other.recorder.seen().filter((r) => RBAC.includes(r)), [], mode);
    }
  });
});

describe("maxConnectionAgeMs", () => {
  it("reaches the servers in clientside mode", async () => {
    const run = await mockRun({ mode: "clientside", maxConnectionAgeMs: "45000" });
    const server = manifest<Deployment>(run.recorder.one(T.deployment)).spec.template.spec.containers[0];
    assert.equal(env(server).MAX_CONNECTION_AGE_MS, "45000");
  });

  it("can be turned off in clientside mode, to show clients missing new pods", async () => {
    const run = await mockRun({ mode: "clientside", maxConnectionAgeMs: "0" });
    const server = manifest<Deployment>(run.recorder.one(T.deployment)).spec.template.spec.containers[0];
    assert.equal(env(server).MAX_CONNECTION_AGE_MS, "0");
  });

  it("is ignored in l4 mode, where ageing connections out would hide the stickiness", async () => {
    const run = await mockRun({ mode: "l4", maxConnectionAgeMs: "45000" });
    const server = manifest<Deployment>(run.recorder.one(T.deployment)).spec.template.spec.containers[0];
    assert.equal(env(server).MAX_CONNECTION_AGE_MS, "0");
  });
});

describe("clusterDomain", () => {
  it("names the Service in the cluster's own DNS domain, in both modes", async () => {
    for (const [mode, prefix] of [["l4", ""], ["clientside", "dns:///"]] as const) {
      const run = await mockRun({ mode, clusterDomain: "corp.example" });
      const client = manifest<StatefulSet>(run.recorder.one(T.statefulSet)).spec.template.spec.containers[0];
      assert.equal(env(client).ECHO_SERVICE_TARGET, `${prefix}echo-server.${NS}.svc.corp.example:8080`);
      assert.equal(run.outputs.target, env(client).ECHO_SERVICE_TARGET);
    }
  });
});

describe("replica and concurrency settings", () => {
  it("sizes the Deployment and StatefulSet and the clients' loops from config", async () => {
    const run = await mockRun({ mode: "clientside", serverReplicas: "5", clientReplicas: "1", clientConcurrency: "16" });
    assert.equal(manifest<Deployment>(run.recorder.one(T.deployment)).spec.replicas, 5);
    const statefulSet = manifest<StatefulSet>(run.recorder.one(T.statefulSet));
    assert.equal(statefulSet.spec.replicas, 1);
    assert.equal(env(statefulSet.spec.template.spec.containers[0]).ECHO_CONCURRENCY, "16");
  });
});

describe("clientLogFormat", () => {
  it("gives the clients text logs by default and JSON lines when asked", async () => {
    for (const [config, expected] of [[{}, "text"], [{ clientLogFormat: "json" }, "json"]] as const) {
      const run = await mockRun({ mode: "l4", ...config });
      const client = manifest<StatefulSet>(run.recorder.one(T.statefulSet)).spec.template.spec.containers[0];
      assert.equal(env(client).ECHO_LOG_FORMAT, expected);
    }
  });
});
