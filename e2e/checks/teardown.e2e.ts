// `pulumi destroy` and `stack rm` of every mode's stack, and nothing of the project left.
import { strict as assert } from "node:assert";
import { MODES } from "../../components/mode";
import { expectedFor } from "../harness/expected";
import { find } from "../harness/kubectl";
import { PART_OF, PROJECT_KINDS, projectObjects } from "../harness/workloads";
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
    // Run alone, it first destroys what an earlier run left up (the scale check's stack too).
    for (const name of await E2eStack.names()) {
      const stack = await E2eStack.open(name);
      if ((await stack.resourceCount()) > 0) await stack.destroy("leftover");
    }
    assert.deepEqual(await projectObjects(), []);
    detail(this, `no ${PROJECT_KINDS} labelled ${PART_OF}`);
  });
});
