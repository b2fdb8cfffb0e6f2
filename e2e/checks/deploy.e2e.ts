// `pulumi preview` and `up` of each mode's stack from nothing, and what the API server then
// holds, against what the program declares (run under mocks) and the mode table says.
import { strict as assert } from "node:assert";
import { CONFIG_DEFAULTS, CONFIG_KEYS } from "../../components/config";
import { labelSelector } from "../../components/commands";
import { MODES } from "../../components/mode";
import { declaredInputs, declaredKeys, declaredNames, declaredResources, stepKeys } from "../harness/declared";
import { Expected, expectedFor } from "../harness/expected";
import { api } from "../harness/kubeApi";
import { List, Namespace, NetworkPolicy, Pod, Service, find, get } from "../harness/kubectl";
import { detail } from "../harness/detail";
import { E2eStack, StackConfigValues } from "../harness/stacks";
import { clientEnv, clientStatefulSet, podsReady, serverPods, slicePods } from "../harness/workloads";
import { clusterEnv } from "../harness/clusterEnv";
import { poll } from "../../test/support/poll";

const POLICY_TYPE = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

async function fromNothing(stack: E2eStack): Promise<void> {
  if ((await stack.resourceCount()) > 0) await stack.destroy("from-nothing");
}

for (const mode of MODES) {
  describe(`stack ${mode}`, () => {
    let stack: E2eStack;
    let values: StackConfigValues;
    let expected: Expected;
    before(async () => {
      stack = await E2eStack.open(mode);
      values = stack.baseline();
      expected = expectedFor(mode, values);
      assert.equal(expected.config.mode, mode, `Pulumi.${mode}.yaml must select mode ${mode}`);
    });

    it(`${mode}: stack init`, async function () {
      await stack.writeConfig(values);
      // The CLI also reports the keys the stack leaves to Pulumi.yaml's defaults.
      const config = Object.fromEntries(Object.entries(await stack.stack.getAllConfig()).map(([key, v]) => [key.replace(/^grpc-lb:/, ""), v.value]));
      const want = Object.fromEntries(CONFIG_KEYS.map((key) => [key, values[key] ?? String(CONFIG_DEFAULTS[key])]));
      assert.deepEqual(config, want, "the stack's config: the committed file's keys, the e2e's, Pulumi.yaml's defaults");
      detail(this, `stack ${mode}: ${Object.entries(values).map(([k, v]) => `${k}=${v}`).join(", ")}`);
    });

    it(`${mode}: preview`, async function () {
      await fromNothing(stack);
      await stack.writeConfig(values);
      const declared = declaredKeys(await declaredResources(mode, values));
      const { steps } = await stack.preview("first");
      const planned = steps.filter((s) => s.type !== "pulumi:pulumi:Stack" && !s.type.startsWith("pulumi:providers:"));
      assert.deepEqual([...new Set(planned.map((s) => s.op))], ["create"], "a preview from nothing plans only creates");
      assert.deepEqual(stepKeys(steps), declared, "the preview plans exactly the resources the program declares");
      detail(this, `plans ${planned.length} creates, the program's resources: ${[...new Set(planned.map((s) => s.type.split(":").pop()))].join(", ")}`);
    });

    it(`${mode}: up`, async function () {
      await fromNothing(stack);
      const declared = declaredKeys(await declaredResources(mode, values));
      const started = Date.now();
      const { steps } = await stack.apply(values, "first");
      const created = stepKeys(steps.filter((s) => s.op === "create"));
      assert.deepEqual(created, declared, "up creates exactly the declared resources");
      detail(this, `created the program's ${created.length} resources in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });

    describe(`${mode} in the cluster`, () => {
      before(() => stack.ensure());

      it(`${mode}: Service`, async function () {
        const declared = await declaredResources(mode, stack.current());
        const shown: string[] = [];
        assert.deepEqual(declaredNames(declared, "kubernetes:core/v1:Service"), Object.keys(expected.services).sort(), "the program declares the mode's Services");
        for (const [name, shape] of Object.entries(expected.services)) {
          const spec = declaredInputs<{ spec: Service["spec"] }>(declared, "kubernetes:core/v1:Service", name).spec;
          const live = await get<Service>("service", name, "-n", expected.namespace);
          assert.equal(live.spec.type, shape.type, `${name}: type`);
          assert.equal(live.spec.sessionAffinity, shape.sessionAffinity, `${name}: affinity`);
          if (shape.clusterIP === "None") assert.equal(live.spec.clusterIP, "None", `${name}: headless`);
          else assert.match(live.spec.clusterIP, /^\d+\.\d+\.\d+\.\d+$/, `${name}: a virtual IP`);
          const ports = (p: Service["spec"]["ports"]) => p.map(({ name, port, targetPort, protocol, appProtocol }) => ({ name, port, targetPort, protocol, appProtocol }));
          assert.deepEqual(ports(live.spec.ports), ports(spec.ports), `${name}: ports as declared`);
          shown.push(`${name}: ${live.spec.type} ${live.spec.clusterIP === "None" ? "headless" : live.spec.clusterIP}, affinity ${live.spec.sessionAffinity}, ports ${live.spec.ports.map((p) => `${p.name}/${p.port}`).join(", ")}`);
        }
        detail(this, shown.join("; "));
      });

      it(`${mode}: NetworkPolicies`, async function () {
        // The bridge CNI does not enforce them: what is checked is what the API server holds.
        const declared = await declaredResources(mode, stack.current());
        assert.deepEqual(declaredNames(declared, POLICY_TYPE), Object.keys(expected.policies).sort(), "the program declares the mode's NetworkPolicies");
        const shown: string[] = [];
        for (const [name, shape] of Object.entries(expected.policies)) {
          const spec = declaredInputs<{ spec: NetworkPolicy["spec"] }>(declared, POLICY_TYPE, name).spec;
          const live = await get<NetworkPolicy>("networkpolicy", name, "-n", expected.namespace);
          assert.deepEqual(live.spec.podSelector.matchLabels, shape.pods, `${name}: the pods it guards`);
          assert.deepEqual(live.spec.ingress.map((rule) => rule.from.map((peer) => peer.podSelector.matchLabels)), [[shape.from]], `${name}: only the pods meant to call them`);
          assert.deepEqual(live.spec.ingress, spec.ingress, `${name}: ingress as declared`);
          assert.deepEqual(live.spec.policyTypes, spec.policyTypes, `${name}: policy types as declared`);
          shown.push(`${name}: ${labelSelector(shape.pods)} from ${labelSelector(shape.from)} on ${live.spec.ingress[0].ports.map((p) => `${p.protocol}/${p.port}`).join(", ")}`);
        }
        detail(this, shown.join("; "));
      });

      it(`${mode}: client target/policy`, async function () {
        const env = await clientEnv(expected.namespace);
        assert.equal(env.ECHO_SERVICE_TARGET, expected.settings.target);
        assert.equal(env.ECHO_LB_POLICY, expected.settings.lbPolicy);
        detail(this, `ECHO_SERVICE_TARGET=${env.ECHO_SERVICE_TARGET} ECHO_LB_POLICY=${env.ECHO_LB_POLICY}`);
      });

      it(`${mode}: client pods Ready`, async function () {
        const current = expectedFor(mode, stack.current());
        assert.equal((await clientStatefulSet(current.namespace)).spec.replicas, current.config.clientReplicas);
        await podsReady(current.namespace, current.clientPods);
        detail(this, `${current.clientPods.join(", ")} Ready (${clusterEnv().node === "real" ? "running" : "kwok-simulated"})`);
      });

      it(`${mode}: EndpointSlices`, async function () {
        const pods = (await serverPods(expected)).map((p) => p.metadata.name).sort();
        assert.ok(pods.length > 0, "no server pods");
        await poll("the slices list exactly the server pods", 30, 1000, async () => {
          const seen = await slicePods(expected.namespace, false);
          if (JSON.stringify(seen) !== JSON.stringify(pods)) throw new Error(`slices: ${seen.join(", ")}; pods: ${pods.join(", ")}`);
          return seen;
        });
        detail(this, `slices list exactly the server pods: ${pods.join(", ")}`);
      });

      it(`${mode}: outputs match cluster`, async function () {
        const current = expectedFor(mode, stack.current());
        const outputs = await stack.outputs();
        const sts = await clientStatefulSet(current.namespace);
        const env = await clientEnv(current.namespace);
        assert.equal(outputs.mode, mode);
        assert.equal(outputs.namespace, current.namespace);
        assert.ok(await find<Namespace>("namespace", current.namespace), `namespace ${current.namespace} exists`);
        assert.equal(outputs.target, env.ECHO_SERVICE_TARGET);
        assert.equal(outputs.lbPolicy, env.ECHO_LB_POLICY);
        assert.equal(outputs.image, sts.spec.template.spec.containers[0].image);
        assert.deepEqual(outputs.clientPods, current.clientPods);
        assert.deepEqual(outputs.logCommands, current.logCommands);
        assert.equal(outputs.getPodsCommand, current.getPodsCommand);
        // Only a mode with a proxy has its log command.
        assert.equal(outputs.proxyLogCommand, current.proxy?.logCommand);
        for (const pod of current.clientPods) assert.ok(await find<Pod>("pod", pod, "-n", current.namespace), `${pod} exists`);
        detail(this, `mode, namespace, target, lbPolicy, image, ${current.clientPods.length} clientPods and their log commands${current.proxy ? ", proxyLogCommand" : ""} match`);
      });

      it(`${mode}: stack pods admitted`, async function () {
        const ns = await get<Namespace>("namespace", expected.namespace);
        assert.equal(ns.metadata.labels?.["pod-security.kubernetes.io/enforce"], "restricted");
        const pods = await get<List<Pod>>("pods", "-n", expected.namespace);
        assert.ok(pods.items.length >= 2, `only ${pods.items.length} pods in ${expected.namespace}`);
        detail(this, `namespace enforces restricted; ${pods.items.length} stack pods admitted`);
      });

      it(`${mode}: non-compliant pod rejected`, async function () {
        // Valid but not "restricted" (root allowed, privilege escalation, capabilities kept, no
        // seccomp profile); the same pod passes a server dry-run in a namespace without Pod
        // Security labels, so only the namespace's enforce label can be what refuses it.
        const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "e2e-psa-violator" }, spec: { containers: [{ name: "c", image: clusterEnv().image }] } };
        const control = `e2e-psa-control-${mode}`; // its own: the last one may still be terminating
        if (!(await find("namespace", control))) await api("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: control } });
        const refused = await api("POST", `/api/v1/namespaces/${expected.namespace}/pods`, pod);
        if (refused.status < 300) await api("DELETE", `/api/v1/namespaces/${expected.namespace}/pods/${pod.metadata.name}`);
        const accepted = await api("POST", `/api/v1/namespaces/${control}/pods?dryRun=All`, pod);
        await api("DELETE", `/api/v1/namespaces/${control}`);
        assert.equal(refused.status, 403, `in ${expected.namespace}: HTTP ${refused.status} ${refused.json?.message ?? ""}`);
        assert.equal(refused.json?.reason, "Forbidden");
        assert.equal(accepted.status, 201, `in ${control} (dry run): HTTP ${accepted.status} ${accepted.json?.message ?? ""}`);
        detail(this, `403 "${(refused.json?.message ?? "").slice(0, 110)}..."; 201 for the same pod (dry run) in an unlabelled namespace`);
      });
    });
  });
}

describe("all stacks", () => {
  it("all stacks live", async function () {
    const namespaces: string[] = [];
    for (const mode of MODES) {
      const stack = await E2eStack.open(mode);
      await stack.ensure();
      namespaces.push(expectedFor(mode, stack.current()).namespace);
    }
    for (const ns of namespaces) assert.ok(await find<Namespace>("namespace", ns), `namespace ${ns} is missing`);
    detail(this, `${namespaces.join(" and ")} side by side`);
  });
});
