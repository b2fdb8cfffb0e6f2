// Mode api: the clients' resolver reads the Service's EndpointSlices with the clients' own
// ServiceAccount. What it sees, what that token may and may not do, many slices, and a
// client without the Role.
import { strict as assert } from "node:assert";
import { CONFIG_DEFAULTS } from "../../components/config";
import { CLIENT_NAME, GRPC_PORT, SERVER_NAME } from "../../components/mode";
import { realPods } from "../harness/clusterEnv";
import { apiEnv, resolveOnce, runClient, tokenOf } from "../harness/apiAccess";
import { detail } from "../harness/detail";
import { expectedFor } from "../harness/expected";
import { api } from "../harness/kubeApi";
import { nodeClient } from "../harness/nodeClient";
import { EndpointSlice, List, get, kubectlOk } from "../harness/kubectl";
import { restartServers, restoreServerTemplate } from "../harness/rollout";
import { E2eStack } from "../harness/stacks";
import { serverPods, serversReady } from "../harness/workloads";
import { poll } from "../../test/support/poll";

const MODE = "api";
/** More than one EndpointSlice holds (100 endpoints each by default). */
const MANY_SERVERS = 150;

describe("mode api", () => {
  let stack: E2eStack;
  before(async () => {
    stack = await E2eStack.open(MODE);
    await stack.ensure();
  });
  const expected = () => expectedFor(MODE, stack.current());

  it("api: resolve.js with the clients' token sees exactly the server pods", async function () {
    const { namespace, settings } = expected();
    const env = apiEnv(await tokenOf(namespace, CLIENT_NAME));
    const pods = (await serverPods(expected())).map((p) => `${p.status.podIP}:${GRPC_PORT}`).sort();
    const { result, ms } = await resolveOnce(settings.target, env);
    assert.equal(result.event, "resolved", `${result.code}: ${result.message}`);
    assert.deepEqual(result.endpoints, pods);
    detail(this, `${settings.target} -> ${pods.length} endpoints, the server pods' IPs, in ${ms} ms (process start included)`);
  });

  it("api: the clients' token may list and watch endpointslices there, and nothing else", async function () {
    const { namespace } = expected();
    const token = await tokenOf(namespace, CLIENT_NAME);
    const slices = `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`;
    const asClient = (path: string) => api("GET", path, undefined, 20_000, token);
    const answers = {
      list: await asClient(slices),
      watch: await asClient(`${slices}?watch=1&timeoutSeconds=1`),
      otherNamespace: await asClient(`/apis/discovery.k8s.io/v1/namespaces/default/endpointslices`),
      pods: await asClient(`/api/v1/namespaces/${namespace}/pods`),
      secrets: await asClient(`/api/v1/namespaces/${namespace}/secrets`),
      oneSlice: await asClient(`${slices}/${SERVER_NAME}-x`),
    };
    assert.equal(answers.list.status, 200, answers.list.body.slice(0, 200));
    assert.equal(answers.watch.status, 200, answers.watch.body.slice(0, 200));
    for (const refused of ["otherNamespace", "pods", "secrets", "oneSlice"] as const) {
      assert.equal(answers[refused].status, 403, `${refused}: HTTP ${answers[refused].status}`);
      assert.equal(answers[refused].json?.reason, "Forbidden");
    }
    detail(this, "list 200, watch 200; another namespace's slices, pods, secrets, get of one slice: 403");
  });

  it("api: without the Role, calls fail fast with the 403 message", async function () {
    // The namespace's default ServiceAccount: the same pods, minus the Role.
    const { namespace, settings } = expected();
    const env = apiEnv(await tokenOf(namespace, "default"));
    const { result } = await resolveOnce(settings.target, env);
    assert.equal(result.event, "error");
    assert.match(result.message ?? "", /403|forbidden/i);
    const deadlineMs = 10_000;
    const started = Date.now();
    const events = await runClient(settings, env, 2, deadlineMs);
    const errors = events.flatMap((e) => (e.event === "error" ? [e] : []));
    assert.equal(errors.length, 2, JSON.stringify(events.slice(0, 5)));
    assert.ok(errors.every((e) => e.code === "UNAVAILABLE" && /forbidden|403/i.test(e.details)), JSON.stringify(errors));
    const seconds = (Date.now() - started) / 1000;
    assert.ok(seconds < deadlineMs / 1000, `two calls took ${seconds} s: they waited for their deadline`);
    detail(this, `resolve.js: ${result.code}: ${(result.message ?? "").slice(0, 120)}...; 2 client calls failed UNAVAILABLE in ${seconds.toFixed(1)} s (deadline ${deadlineMs / 1000} s each)`);
  });

  if (!realPods()) {
    it(`api: ${MANY_SERVERS} server pods in several slices, all resolved`, async function () {
      const before = stack.current().serverReplicas;
      try {
        await stack.apply({ serverReplicas: String(MANY_SERVERS) }, "many-servers");
        const { namespace, settings } = expected();
        await serversReady(expected());
        const slices = await get<List<EndpointSlice>>("endpointslices", "-n", namespace, "-l", `kubernetes.io/service-name=${SERVER_NAME}`);
        assert.ok(slices.items.length >= 2, `${slices.items.length} slice(s) hold ${MANY_SERVERS} endpoints`);
        const env = apiEnv(await tokenOf(namespace, CLIENT_NAME));
        const { result } = await poll("every endpoint resolved", 10, 1000, async () => {
          const answer = await resolveOnce(settings.target, env);
          return answer.result.endpoints?.length === MANY_SERVERS ? answer : undefined;
        });
        detail(this, `${MANY_SERVERS} ready pods in ${slices.items.length} EndpointSlices (${slices.items.map((s) => s.endpoints?.length ?? 0).join(" + ")}); resolve.js: ${result.endpoints?.length} endpoints`);
      } finally {
        await stack.apply({ serverReplicas: before ?? String(CONFIG_DEFAULTS.serverReplicas) }, "servers-back");
      }
    });
  }
});

describe("mode api, real pods", () => {
  if (!realPods()) return;
  let stack: E2eStack;
  before(async () => {
    stack = await E2eStack.open(MODE);
    await stack.ensure();
  });
  const expected = () => expectedFor(MODE, stack.current());

  it("api: resolve.js inside a client pod, with no settings, sees every server", async function () {
    // In-cluster defaults: the kubelet's KUBERNETES_SERVICE_HOST/PORT, the projected token and CA.
    const { namespace, settings } = expected();
    const out = await kubectlOk(["exec", "-n", namespace, expected().clientPods[0], "--", "node", "dist/echo/resolve.js", "--once", settings.target]);
    const result = JSON.parse(out.trim().split("\n").pop() ?? "{}") as { event?: string; endpoints?: string[] };
    const pods = (await serverPods(expected())).map((p) => `${p.status.podIP}:${GRPC_PORT}`).sort();
    assert.equal(result.event, "resolved", out);
    assert.deepEqual(result.endpoints, pods);
    detail(this, `kubectl exec ${expected().clientPods[0]} -- node dist/echo/resolve.js --once ${settings.target}: ${pods.length} endpoints, the server pods`);
  });

  it("api: a rolling update of the servers loses no call, retries off", async function () {
    const { client, events } = await nodeClient(expected(), 0);
    try {
      const answered = () => events.filter((e) => e.event === "response").length;
      await poll("the client answered", 30, 1000, async () => (answered() >= 20 ? true : undefined));
      const { replaced } = await restartServers(expected(), async (fresh) =>
        fresh.every((pod) => events.some((e) => e.event === "response" && e.pod === pod)),
      );
      const summary = await client.stop();
      assert.equal(summary.failed, 0, `failed calls: ${JSON.stringify(events.filter((e) => e.event === "error").slice(0, 3))}`);
      detail(this, `${summary.ok} calls during a restart of every server (${replaced} old pods replaced), 0 failed, no retries`);
    } finally {
      await client.stop().catch(() => undefined);
      await restoreServerTemplate(expected());
    }
  });

  it("api: servers scaled to 0 fail calls fast; scaled back, calls recover", async function () {
    const { namespace } = expected();
    const replicas = expected().config.serverReplicas;
    const { client, events } = await nodeClient(expected(), 0);
    try {
      await poll("the client answered", 30, 1000, async () => (events.some((e) => e.event === "response") ? true : undefined));
      await kubectlOk(["scale", `deployment/${SERVER_NAME}`, "-n", namespace, "--replicas=0"]);
      const emptyAt = Date.now();
      let failingAt = 0;
      await poll("calls failing", 60, 1000, async () => (events.some((e) => e.event === "error") ? (failingAt = Date.now()) : undefined));
      // A few seconds of failures: each must be UNAVAILABLE at once, none waiting out its deadline.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const errors = events.flatMap((e) => (e.event === "error" ? [e] : []));
      assert.ok(errors.every((e) => e.code === "UNAVAILABLE"), `not all UNAVAILABLE: ${JSON.stringify(errors.filter((e) => e.code !== "UNAVAILABLE").slice(0, 3))}`);
      await kubectlOk(["scale", `deployment/${SERVER_NAME}`, "-n", namespace, `--replicas=${replicas}`]);
      const back = await serversReady(expected());
      const errorsBefore = events.length;
      await poll("calls answered again", 60, 1000, async () => (events.slice(errorsBefore).some((e) => e.event === "response") ? true : undefined));
      await client.stop();
      detail(this, `scaled to 0: calls failed from ${((failingAt - emptyAt) / 1000).toFixed(0)} s on (the pods' graceful stop), all ${errors.length} UNAVAILABLE ("${errors[0].details.slice(0, 90)}..."), none at the 5 s deadline; back to ${back.length}: answered again`);
    } finally {
      await client.stop().catch(() => undefined);
      await kubectlOk(["scale", `deployment/${SERVER_NAME}`, "-n", namespace, `--replicas=${replicas}`]);
    }
  });
});
