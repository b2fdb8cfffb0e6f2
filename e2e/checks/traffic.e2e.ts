// Real pods only: what each client's own calls show right after `up`, per mode.
import { MODES } from "../../components/mode";
import { realPods } from "../harness/clusterEnv";
import { Expected, expectedFor } from "../harness/expected";
import { detail } from "../harness/detail";
import { E2eStack } from "../harness/stacks";
import { expectTrafficShape } from "../harness/traffic";

export const shapeName = (expected: Expected) =>
  expected.settings.lbPolicy === "pick_first" ? "each client pinned to 1 server" : "each client spread over every ready server";

if (realPods()) {
  for (const mode of MODES) {
    describe(`traffic ${mode}`, () => {
      let expected: Expected;
      before(async () => {
        const stack = await E2eStack.open(mode);
        await stack.ensure();
        expected = expectedFor(mode, stack.current());
      });

      it(`${mode}: traffic`, async function () {
        detail(this, `${shapeName(expected)}: ${await expectTrafficShape(expected)}`);
      });
    });
  }
}
