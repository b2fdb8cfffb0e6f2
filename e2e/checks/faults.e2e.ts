// What breaks in real clusters: a voluntary eviction against the servers' disruption
// budget, and (real pods) a server that freezes without closing its connections.
import { strict as assert } from "node:assert";
import { CLIENT_KEEPALIVE } from "../../echo/keepalive";
import { SERVER_TERMINATION_GRACE_SECONDS } from "../../components/echoServers";
import { MODES, SERVER_NAME } from "../../components/mode";
import { callsByServer, clientCalls, clientLog } from "../harness/clientCalls";
import { realPods } from "../harness/clusterEnv";
import { expectedFor } from "../harness/expected";
import { containerPids, freeze, thaw } from "../harness/freeze";
import { api } from "../harness/kubeApi";
import { List, PodDisruptionBudget, find, get, kubectlOk, names } from "../harness/kubectl";
import { detail } from "../harness/detail";
import { E2eStack } from "../harness/stacks";
import { clientEnv, serverPods, serversReady } from "../harness/workloads";
import { poll } from "../../test/support/poll";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("faults", () => {
  it("l4: disruption budget", async function () {
    // With every node cordoned no replacement can start: the API server lets one server
    // pod go (maxUnavailable 1) and answers 429 for the next, as kubectl drain sees it.
    const stack = await E2eStack.open("l4");
    await stack.ensure();
    const expected = expectedFor("l4", stack.current());
    const ns = expected.namespace;
    await poll("the budget allows 1 disruption", 60, 1000, async () =>
      (await get<PodDisruptionBudget>("pdb", SERVER_NAME, "-n", ns)).status?.disruptionsAllowed === 1 ? true : undefined,
    );
    const nodes = names(await get<List<{ metadata: { name: string } }>>("nodes"));
    const [first, second] = (await serverPods(expected)).map((p) => p.metadata.name);
    const evict = (pod: string) =>
      api("POST", `/api/v1/namespaces/${ns}/pods/${pod}/eviction`, { apiVersion: "policy/v1", kind: "Eviction", metadata: { name: pod, namespace: ns } });
    await kubectlOk(["cordon", ...nodes]);
    let one, two;
    try {
      one = await evict(first);
      two = await evict(second);
    } finally {
      await kubectlOk(["uncordon", ...nodes]);
    }
    assert.equal(one.status, 201, `eviction of ${first}: HTTP ${one.status} ${one.json?.message ?? ""}`);
    assert.equal(two.status, 429, `eviction of ${second}: HTTP ${two.status} ${two.json?.message ?? ""}`);
    assert.equal(two.json?.reason, "TooManyRequests");
    const ready = await serversReady(expected);
    // The evicted pod keeps serving through its preStop pause and graceful stop after its
    // replacement is ready; a check that starts before it is gone sees its clients move.
    await poll(`the evicted ${first} gone`, 2 * SERVER_TERMINATION_GRACE_SECONDS, 1000, async () => ((await find("pod", first, "-n", ns)) ? undefined : true));
    detail(this, `nodes cordoned: eviction of ${first} 201, of ${second} 429 (${two.json?.message}); ${ready.length} ready again after uncordon, ${first} gone`);
  });

  if (realPods()) {
    // Thawed at THAW_MS, before the liveness probe (3 misses, 10 s apart) could restart it.
    const MARGIN_MS = 10_000;
    const THAW_MS = 20_000;
    for (const mode of MODES) {
      it(`${mode}: frozen server`, async function () {
        const stack = await E2eStack.open(mode);
        await stack.ensure();
        const expected = expectedFor(mode, stack.current());
        const ns = expected.namespace;
        const env = await clientEnv(ns);
        const boundMs = Number(env.ECHO_KEEPALIVE_TIME_MS) + Number(env.ECHO_KEEPALIVE_TIMEOUT_MS);
        assert.ok(boundMs > 0, "the clients run without keepalive");
        assert.equal(boundMs, CLIENT_KEEPALIVE.timeMs + CLIENT_KEEPALIVE.timeoutMs, "the clients' keepalive is echo/keepalive.ts's");
        // l4: the server echo-client-0 is pinned to (a fault elsewhere shows nothing).
        const frozenAt = Date.now();
        const before = await Promise.all(expected.clientPods.map((pod) => clientCalls(ns, pod, frozenAt - 10_000)));
        const pinned = expected.pinned;
        const victim = pinned ? [...callsByServer(before[0]).keys()][0] : (await serverPods(expected))[0].metadata.name;
        assert.ok(victim, "no victim: echo-client-0 had no answered calls in the last 10 s");
        const pids = await containerPids(ns, victim);
        freeze(pids);
        await sleep(THAW_MS);
        thaw(pids);
        await sleep(Math.max(0, boundMs + MARGIN_MS + 5000 - THAW_MS));
        const lines: string[] = [];
        for (const [i, pod] of expected.clientPods.entries()) {
          const log = await clientLog(ns, pod, frozenAt);
          const calls = log.calls.map((c) => ({ ...c, t: c.at - frozenAt }));
          const failed = calls.filter((c) => c.failed);
          const late = failed.filter((c) => c.t > boundMs + MARGIN_MS);
          const between = calls.filter((c) => c.t > boundMs && c.t < THAW_MS && c.server);
          const byVictim = between.filter((c) => c.server === victim);
          assert.equal(late.length, 0, `${pod}: ${late.length} calls failed later than ${(boundMs + MARGIN_MS) / 1000} s`);
          assert.equal(byVictim.length, 0, `${pod}: ${byVictim.length} calls answered by the frozen ${victim}`);
          let line = `${pod}: ${failed.length} failed${failed.length ? `, the last ${(failed[failed.length - 1].t / 1000).toFixed(1)} s after the freeze` : ""}`;
          if (pinned && before[i].some((c) => c.server === victim)) {
            // Its one connection was to the victim: keepalive must drop it. Where it reconnects
            // is kube-proxy's pick, which can be the frozen pod again until its readiness fails.
            const lost = log.channel.find((c) => c.from === "READY");
            assert.ok(lost, `${pod}: its channel never left READY: keepalive did not notice the frozen ${victim}`);
            const lostAfter = lost.at - frozenAt;
            assert.ok(lostAfter <= boundMs + MARGIN_MS, `${pod}: connection dropped ${lostAfter / 1000} s after the freeze`);
            line += `, connection dropped ${(lostAfter / 1000).toFixed(1)} s after the freeze, then ${between.length ? `${between.length} calls answered by live servers before the thaw` : "reconnected to the frozen pod again (kube-proxy's pick, before its readiness failed), answered after the thaw"}`;
          } else {
            assert.ok(between.length > 0, `${pod}: no call answered between the keepalive bound and the thaw`);
            line += `, ${between.length} answered by live servers between ${boundMs / 1000} s and the thaw`;
          }
          lines.push(line);
        }
        const ready = await serversReady(expected); // the later checks want every server back
        detail(this, `${victim} frozen for ${THAW_MS / 1000} s, keepalive bound ${boundMs / 1000} s: ${lines.join("; ")}; ${ready.length} servers ready again`);
      });
    }
  }
});
