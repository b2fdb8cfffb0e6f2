// A live stack switched between modes, both ways. spec.clusterIP is immutable, so the
// Service is replaced (delete before create, same name) by the real API server's rules,
// and the clients roll onto the other target and policy.
import { strict as assert } from "node:assert";
import { Mode, SERVER_NAME } from "../../components/mode";
import { realPods } from "../harness/clusterEnv";
import { expectedFor } from "../harness/expected";
import { Service, get } from "../harness/kubectl";
import { detail } from "../harness/detail";
import { E2eStack } from "../harness/stacks";
import { expectTrafficShape } from "../harness/traffic";
import { clientEnv } from "../harness/workloads";
import { shapeName } from "./traffic.e2e";

const STACK = "l4";
const SWITCHES: [Mode, Mode][] = [
  ["l4", "clientside"],
  ["clientside", "l4"],
];

/** The switches this run made: a traffic check after one needs the clients it rolled. */
const switched = new Set<Mode>();

describe("mode switch", () => {
  for (const [from, to] of SWITCHES) {
    it(`${STACK}: live mode switch ${from}->${to}`, async function () {
      const stack = await E2eStack.open(STACK);
      await stack.ensure({ mode: from });
      const before = expectedFor(STACK, stack.current());
      const old = await get<Service>("service", SERVER_NAME, "-n", before.namespace);
      const { steps } = await stack.apply({ mode: to }, `switch-to-${to}`);
      switched.add(to);
      const expected = expectedFor(STACK, stack.current());
      const service = await get<Service>("service", SERVER_NAME, "-n", expected.namespace);
      const replaced = steps.filter((s) => s.op === "delete-replaced" || s.op === "create-replacement" || s.op === "replace").map((s) => s.type);
      assert.ok(replaced.includes("kubernetes:core/v1:Service"), `the engine did not replace the Service: ${replaced.join(", ")}`);
      assert.notEqual(service.metadata.uid, old.metadata.uid, "the Service is a new object");
      if (expected.settings.service.clusterIP === "None") assert.equal(service.spec.clusterIP, "None");
      else assert.match(service.spec.clusterIP, /^\d+\.\d+\.\d+\.\d+$/);
      const env = await clientEnv(expected.namespace);
      assert.equal(env.ECHO_SERVICE_TARGET, expected.settings.target);
      assert.equal(env.ECHO_LB_POLICY, expected.settings.lbPolicy);
      assert.equal((await stack.outputs()).mode, to);
      detail(this, `Service replaced (new uid, clusterIP ${service.spec.clusterIP}), clients on ${env.ECHO_LB_POLICY} to ${env.ECHO_SERVICE_TARGET}, output mode=${to}`);
    });

    if (realPods()) {
      it(`${STACK}: traffic after the switch to ${to}`, async function () {
        const stack = await E2eStack.open(STACK);
        if (!switched.has(to)) {
          // Run alone: make the switch, so the clients are the ones it rolled.
          await stack.ensure({ mode: from });
          await stack.apply({ mode: to }, `switch-to-${to}`);
          switched.add(to);
        }
        const expected = expectedFor(STACK, stack.current());
        // The switch rolled the client pods: their logs hold only calls made in the new mode.
        detail(this, `${shapeName(expected)}: ${await expectTrafficShape(expected)}`);
      });
    }
  }
});
