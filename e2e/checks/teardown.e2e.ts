// `pulumi destroy` and `stack rm` of every mode's stack, and nothing of the project left.
import { strict as assert } from "node:assert";
import { MODES } from "../../components/mode";
import { expectedFor } from "../harness/expected";
import { List, find, get } from "../harness/kubectl";
import { detail } from "../harness/detail";
import { E2eStack } from "../harness/stacks";
import { poll } from "../../test/support/poll";

describe("teardown", () => {
  for (const mode of MODES) {
    it(`${mode}: destroy`, async function () {
      const stack = await E2eStack.open(mode);
      await stack.ensure();
      const { namespace } = expectedFor(mode, stack.current());
      const started = Date.now();
      const { summary } = await stack.destroy("final");
      await poll(`namespace ${namespace} gone`, 60, 1000, async () => ((await find("namespace", namespace)) ? undefined : true));
      assert.equal(await stack.resourceCount(), 0);
      detail(this, `deleted ${summary.delete} resources in ${((Date.now() - started) / 1000).toFixed(1)} s; namespace ${namespace} gone`);
    });

    it(`${mode}: stack rm`, async function () {
      const stack = await E2eStack.open(mode);
      await stack.remove();
      const left = (await stack.stack.workspace.listStacks()).map((s) => s.name);
      assert.ok(!left.includes(mode), `stack ${mode} still listed: ${left.join(", ")}`);
      detail(this, `stack ${mode} removed`);
    });
  }

  it("nothing left in the cluster", async function () {
    // Run alone, it first destroys what an earlier run left up.
    const live = (await E2eStack.names()).filter((name) => (MODES as readonly string[]).includes(name));
    for (const name of live) {
      const stack = await E2eStack.open(name);
      if ((await stack.resourceCount()) > 0) await stack.destroy("leftover");
    }
    const kinds = "namespaces,all,endpointslices,networkpolicies,poddisruptionbudgets,serviceaccounts,roles,rolebindings";
    const left = await get<List<{ kind: string; metadata: { name: string } }>>(kinds, "-A", "-l", "app.kubernetes.io/part-of=grpc-lb");
    assert.deepEqual(left.items.map((o) => `${o.kind}/${o.metadata.name}`), []);
    detail(this, `no ${kinds} labelled app.kubernetes.io/part-of=grpc-lb`);
  });
});
