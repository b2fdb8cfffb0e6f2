// Real pods only: what each client's own calls show right after `up`, per mode.
import { MODES } from "../../components/mode";
import { realPods } from "../harness/clusterEnv";
import { Expected, expectedFor } from "../harness/expected";
import { detail } from "../harness/detail";
import { E2eStack } from "../harness/stacks";
import { expectTrafficShape } from "../harness/traffic";

const RECENT_MS = 20_000;

export const shapeName = (expected: Expected) =>
  expected.pinned
    ? "each client pinned to 1 server"
    : `each client spread over every ready server${expected.settings.proxy ? " through the proxy" : ""}`;

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
        // The last 20 s (all of it right after `up`): run alone on a kept cluster, older
        // calls may come from before a fault that moved a pinned client.
        detail(this, `${shapeName(expected)}: ${await expectTrafficShape(expected, Date.now() - RECENT_MS)}`);
      });
    });
  }
}
