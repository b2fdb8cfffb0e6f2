// Real pods only, after the teardown so the node's 2 CPUs hold it: one stack with 30
// server pods. Each client's own log must show calls answered by all 30, and a client
// pod's resolver must see all 30 through the cluster's real CoreDNS: 30 A records no
// longer fit a 512-byte UDP answer (see lab/README.md, "Big DNS answers").
import { strict as assert } from "node:assert";
import { GRPC_PORT, SERVER_NAME } from "../../components/mode";
import { spread } from "../../lab/stats";
import { callsByServer, clientCalls } from "../harness/clientCalls";
import { realPods } from "../harness/clusterEnv";
import { detail } from "../harness/detail";
import { expectedFor } from "../harness/expected";
import { find, kubectlOk } from "../harness/kubectl";
import { E2eStack } from "../harness/stacks";
import { expectTrafficShape } from "../harness/traffic";
import { projectObjects, serverPods, serversReady } from "../harness/workloads";
import { poll } from "../../test/support/poll";

const STACK = "scale";
const SERVERS = 30;
/** Enough calls for every one of 30 servers to show in 40 s: 16 loops a client. */
const CONFIG = { mode: "clientside", namespace: "grpc-lb-scale", serverReplicas: String(SERVERS), clientConcurrency: "16" };
const WINDOW_MS = 40_000;

describe(`scale: ${SERVERS} server pods`, () => {
  if (!realPods()) return;
  let stack: E2eStack;
  const expected = () => expectedFor(STACK, stack.current());

  before(async () => {
    stack = await E2eStack.open(STACK);
    await stack.ensure(CONFIG);
    await serversReady(expected());
  });

  it(`scale: a client pod resolves all ${SERVERS} servers through CoreDNS`, async function () {
    const { namespace, settings } = expected();
    const pods = (await serverPods(expected())).map((p) => `${p.status.podIP}:${GRPC_PORT}`).sort();
    assert.equal(pods.length, SERVERS);
    const out = await kubectlOk(["exec", "-n", namespace, expected().clientPods[0], "--", "node", "dist/echo/resolve.js", "--once", settings.target]);
    const result = JSON.parse(out.trim().split("\n").pop() ?? "{}") as { event?: string; endpoints?: string[] };
    assert.equal(result.event, "resolved", out);
    assert.deepEqual(result.endpoints, pods);
    detail(this, `kubectl exec ${expected().clientPods[0]} -- node dist/echo/resolve.js --once ${settings.target}: ${pods.length} addresses`);
  });

  it(`scale: every client spreads over all ${SERVERS} servers`, async function () {
    const { namespace } = expected();
    const since = Date.now();
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
    await expectTrafficShape(expected(), since);
    const lines: string[] = [];
    for (const pod of expected().clientPods) {
      const counts = [...callsByServer(await clientCalls(namespace, pod, since)).values()];
      const s = spread(counts);
      assert.equal(counts.length, SERVERS, `${pod}: ${counts.length} servers`);
      lines.push(`${pod}: ${s.calls} calls over ${counts.length} servers, max/min ${s.maxMinRatio}, cv ${s.cv}`);
    }
    detail(this, lines.join("; "));
  });

  it("scale: destroy and stack rm", async function () {
    const { namespace } = expected();
    const { summary } = await stack.destroy("scale");
    await poll(`namespace ${namespace} gone`, 60, 1000, async () => ((await find("namespace", namespace)) ? undefined : true));
    await stack.remove();
    assert.deepEqual(await projectObjects(), []);
    detail(this, `deleted ${summary.delete} resources (${SERVER_NAME} x ${SERVERS}); namespace ${namespace}, stack ${STACK} and every object of the project gone`);
  });
});
