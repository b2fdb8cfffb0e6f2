// Changes to a live stack: nothing to do on a second `up`, no drift on `refresh`, one more
// server (one planned update, clients untouched, and what running clients make of it),
// one more client.
import { strict as assert } from "node:assert";
import { CONFIG_DEFAULTS } from "../../components/config";
import { CLIENT_NAME, MODES, SERVER_NAME } from "../../components/mode";
import { callsByServer, clientCalls } from "../harness/clientCalls";
import { realPods } from "../harness/clusterEnv";
import { expectedFor } from "../harness/expected";
import { addServer } from "../harness/newServer";
import { detail } from "../harness/detail";
import { E2eStack, changes } from "../harness/stacks";
import { podsReady } from "../harness/workloads";
import { poll } from "../../test/support/poll";

const L4_WATCH_MS = 20_000;

for (const mode of MODES) {
  describe(`updates ${mode}`, () => {
    let stack: E2eStack;
    before(async () => {
      stack = await E2eStack.open(mode);
      await stack.ensure();
    });

    it(`${mode}: second up`, async function () {
      const { summary } = await stack.up("second", { expectNoChanges: true });
      assert.deepEqual(Object.keys(summary), ["same"], `second up: ${JSON.stringify(summary)}`);
      detail(this, `no changes (${summary.same} resources the same)`);
    });

    it(`${mode}: refresh finds no drift`, async function () {
      const { summary } = await stack.refresh("drift");
      assert.deepEqual(Object.keys(summary), ["same"], `refresh: ${JSON.stringify(summary)}`);
      await stack.preview("after-refresh", { expectNoChanges: true });
      detail(this, `refresh read ${summary.same} resources back unchanged; a preview after it plans no change`);
    });

    it(`${mode}: serverReplicas ${CONFIG_DEFAULTS.serverReplicas}->${CONFIG_DEFAULTS.serverReplicas + 1}, preview plans one update`, async function () {
      const added = await addServer(stack);
      const planned = changes(added.preview.steps);
      assert.deepEqual(planned.map((s) => `${s.op} ${s.type}`), ["update kubernetes:apps/v1:Deployment"], "the preview plans exactly one update");
      assert.ok(planned[0].urn.endsWith(`::${SERVER_NAME}`), planned[0].urn);
      assert.deepEqual(planned[0].diffs, ["spec.replicas"], "only the Deployment's replicas differ");
      const touched = changes(added.up.steps).map((s) => `${s.op} ${s.type}`);
      assert.deepEqual(touched, ["update kubernetes:apps/v1:Deployment"], "up changes only the Deployment");
      const [before, after] = added.clientGenerations;
      assert.equal(after, before, `the client StatefulSet changed (generation ${before} -> ${after})`);
      detail(this, `${added.from}->${added.to}: preview plans 1 update (Deployment ${SERVER_NAME}, diff: ${planned[0].diffs.join(", ")}); ${added.to} servers ready, ${added.newPod} new; ${CLIENT_NAME} left alone`);
    });

    if (realPods()) {
      it(`${mode}: new server, running clients`, async function () {
        const added = await addServer(stack);
        const { expected, newPod, readyAt } = added;
        const found: string[] = [];
        if (expected.pinned) {
          // The claim is an absence: nothing reaches the new server while the clients run on.
          await new Promise((resolve) => setTimeout(resolve, Math.max(0, readyAt + L4_WATCH_MS - Date.now())));
          for (const pod of expected.clientPods) {
            const byServer = callsByServer(await clientCalls(expected.namespace, pod, readyAt));
            assert.ok(!byServer.has(newPod), `${pod} sent ${byServer.get(newPod)} calls to the new ${newPod}`);
            assert.equal(byServer.size, 1, `${pod} answered by ${[...byServer.keys()].join(", ")}`);
            found.push(`${pod} still on ${[...byServer.keys()][0]} (${[...byServer.values()][0]} calls)`);
          }
          detail(this, `${newPod} got no calls in the ${L4_WATCH_MS / 1000} s after it turned Ready: ${found.join("; ")}`);
          return;
        }
        for (const pod of expected.clientPods) {
          const first = await poll(`${pod} calls ${newPod}`, 45, 2000, async () =>
            (await clientCalls(expected.namespace, pod, readyAt)).find((call) => call.server === newPod),
          );
          found.push(`${pod} ${((first.at - readyAt) / 1000).toFixed(1)} s after the pod turned Ready`);
        }
        const how = expected.settings.proxy ? "through the proxy, which resolves the servers every second" : `servers' maxConnectionAgeMs ${expected.settings.maxConnectionAgeMs}`;
        detail(this, `every client called ${newPod} (${how}; Ready time to the second): ${found.join("; ")}`);
      });
    }
  });
}

describe("updates clients", () => {
  it(`l4: clientReplicas ${CONFIG_DEFAULTS.clientReplicas}->${CONFIG_DEFAULTS.clientReplicas + 1}`, async function () {
    const stack = await E2eStack.open("l4");
    await stack.ensure();
    const from = expectedFor("l4", stack.current()).config.clientReplicas;
    await stack.apply({ clientReplicas: String(from + 1) }, "client-replicas");
    const expected = expectedFor("l4", stack.current());
    const outputs = await stack.outputs();
    assert.deepEqual(outputs.clientPods, expected.clientPods);
    assert.deepEqual(outputs.logCommands, expected.logCommands);
    await podsReady(expected.namespace, expected.clientPods);
    detail(this, `${from}->${from + 1}: outputs list ${expected.clientPods.join(", ")} with their log commands; all Ready`);
  });
});
