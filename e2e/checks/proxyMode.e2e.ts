// A mode with a proxy (l7: HAProxy between the clients and the servers): the proxy as the
// cluster runs it, hardened like every pod of the project; and on real pods what the
// clients' own calls show when the servers roll and when a proxy pod stops. Which modes
// get these checks comes from the mode table (settings.proxy), not from a mode's name.
import * as fs from "node:fs";
import { strict as assert } from "node:assert";
import { HAPROXY_CONFIG_DIR, HAPROXY_CONFIG_FILE } from "../../components/haproxyConfig";
import { RUN_AS_USER } from "../../components/hardening";
import { GRPC_PORT, MODES, PROXY_NAME } from "../../components/mode";
import { callsByServer, clientCalls } from "../harness/clientCalls";
import { realPods } from "../harness/clusterEnv";
import { declaredInputs, declaredRun } from "../harness/declared";
import { detail } from "../harness/detail";
import { Expected, committedExpected, expectedFor } from "../harness/expected";
import { containerPids } from "../harness/freeze";
import { api } from "../harness/kubeApi";
import { ConfigMap, Deployment, PodDisruptionBudget, Service, get, kubectlOk } from "../harness/kubectl";
import { answeredBy, connectionsThrough, failedCalls, localConnectionsTo, nodeClient } from "../harness/nodeClient";
import { restartServers, restoreServerTemplate } from "../harness/rollout";
import { E2eStack } from "../harness/stacks";
import { clientEnv, livePods } from "../harness/workloads";
import { poll } from "../../test/support/poll";

/** Waits (2 min at most) until the proxy Deployment has its replicas, all ready; returns their names. */
async function proxiesReady(expected: Expected): Promise<string[]> {
  const want = expected.config.proxyReplicas;
  return poll(`${expected.namespace}: ${want} ready proxies`, 120, 1000, async () => {
    const pods = await livePods(expected.namespace, expected.proxy!.selector);
    const ready = pods.filter((p) => p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
    return pods.length === want && ready.length === want ? ready.map((p) => p.metadata.name).sort() : undefined;
  });
}

/** Every process of a pod's container, from the node: its uids (real, effective, saved, fs) and whether its root is read-only. */
async function processFacts(ns: string, pod: string): Promise<{ pid: number; uids: number[]; readOnlyRoot: boolean }[]> {
  return (await containerPids(ns, pod)).map((pid) => {
    const uids = (/^Uid:\s+(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? "").split(/\s+/).map(Number);
    // mountinfo: id parent major:minor root mount-point options ...
    const root = fs.readFileSync(`/proc/${pid}/mountinfo`, "utf8").split("\n").map((line) => line.split(" ")).find((fields) => fields[4] === "/");
    return { pid, uids, readOnlyRoot: root?.[5].split(",").includes("ro") ?? false };
  });
}

for (const mode of MODES.filter((m) => committedExpected(m).proxy)) {
  describe(`mode ${mode}: the proxy`, () => {
    let stack: E2eStack;
    before(async () => {
      stack = await E2eStack.open(mode);
      await stack.ensure();
    });
    const expected = () => expectedFor(mode, stack.current());

    it(`${mode}: proxy Deployment`, async function () {
      const { namespace, config } = expected();
      const run = await declaredRun(mode, stack.current());
      const declared = declaredInputs<{ spec: Deployment["spec"] }>(run.recorder.registrations, "kubernetes:apps/v1:Deployment", PROXY_NAME).spec.template.spec;
      const live = await get<Deployment>("deployment", PROXY_NAME, "-n", namespace);
      const spec = live.spec.template.spec;
      const [container] = spec.containers;
      assert.equal(live.spec.replicas, config.proxyReplicas, "replicas: grpc-lb:proxyReplicas");
      assert.equal(container.image, config.proxyImage, "image: grpc-lb:proxyImage");
      assert.deepEqual(container.command, declared.containers[0].command);
      // Hardened like every pod of the project: what the program declares is what runs.
      assert.equal(spec.securityContext.runAsUser, RUN_AS_USER);
      assert.deepEqual(spec.securityContext, declared.securityContext);
      assert.deepEqual(container.securityContext, declared.containers[0].securityContext);
      assert.equal(container.securityContext.readOnlyRootFilesystem, true);
      assert.equal(spec.automountServiceAccountToken, false);
      // Its configuration: the ConfigMap mounted where HAProxy reads it holds the program's text.
      const mount = container.volumeMounts.find((m) => m.mountPath === HAPROXY_CONFIG_DIR);
      assert.ok(mount?.readOnly, `nothing mounted read-only at ${HAPROXY_CONFIG_DIR}`);
      const volume = spec.volumes.find((v) => v.name === mount.name);
      assert.ok(volume?.configMap?.name, `volume ${mount.name} is not a ConfigMap`);
      const configMap = await get<ConfigMap>("configmap", volume.configMap.name, "-n", namespace);
      assert.equal(configMap.immutable, true);
      assert.equal(configMap.data[HAPROXY_CONFIG_FILE], run.stack.proxy!.configText, "the shipped haproxy.cfg is the program's");
      const budget = await get<PodDisruptionBudget>("pdb", PROXY_NAME, "-n", namespace);
      assert.equal(budget.spec.maxUnavailable, 1);
      const pods = await proxiesReady(expected());
      detail(this, `${pods.length} ready (${pods.join(", ")}), image ${container.image}, uid ${spec.securityContext.runAsUser}, read-only root, ConfigMap ${configMap.metadata.name} (${configMap.data[HAPROXY_CONFIG_FILE].split("\n").length} lines, the program's), PDB maxUnavailable 1`);
    });

    if (!realPods()) return;

    it(`${mode}: proxy processes run as uid ${RUN_AS_USER} on a read-only root`, async function () {
      const { namespace } = expected();
      const seen: string[] = [];
      for (const pod of await proxiesReady(expected())) {
        const facts = await processFacts(namespace, pod);
        assert.ok(facts.length >= 2, `${pod}: ${facts.length} processes, want haproxy's master and worker`);
        for (const f of facts) {
          assert.deepEqual(f.uids, [RUN_AS_USER, RUN_AS_USER, RUN_AS_USER, RUN_AS_USER], `${pod}: process ${f.pid} uids`);
          assert.ok(f.readOnlyRoot, `${pod}: process ${f.pid} has a writable root`);
        }
        seen.push(`${pod}: ${facts.length} processes, uid ${RUN_AS_USER}, root ro`);
      }
      detail(this, seen.join("; "));
    });

    it(`${mode}: a rolling update of the servers loses no call, retries off`, async function () {
      // A client on the node with retries off dials the proxy's Service, so a 502/503 or a
      // reset from the proxy while a server drains fails a call; the client pods, with the
      // stack's retries, would hide it. Their logs still show every client reaching every
      // new server.
      const current = expected();
      const { namespace, clientPods } = current;
      const node = await nodeClient(current, 0);
      const since = Date.now();
      try {
        await poll("the node client answered", 30, 1000, async () => (node.events.filter((e) => e.event === "response").length >= 20 ? true : undefined));
        const restartAt = Date.now();
        const { replaced, fresh } = await restartServers(current, async (pods) => {
          if (!pods.every((pod) => answeredBy(node).has(pod))) return false;
          for (const client of clientPods) {
            const byServer = callsByServer(await clientCalls(namespace, client, since));
            if (!pods.every((pod) => byServer.has(pod))) return false;
          }
          return true;
        });
        const seconds = ((Date.now() - since) / 1000).toFixed(0);
        const summary = await node.client.stop();
        const failed = failedCalls(node, restartAt);
        assert.equal(summary.failed, 0, `${node.target}, retries off: ${summary.failed} of ${summary.total} calls failed (times from the restart): ${failed.slice(0, 5).join(" | ")}`);
        const retries = (await clientEnv(namespace)).ECHO_RETRIES ?? "the default";
        const lines: string[] = [];
        for (const client of clientPods) {
          const calls = await clientCalls(namespace, client, since);
          const failedPod = calls.filter((c) => c.failed);
          assert.ok(calls.length > 0, `${client}: no calls during the rollout`);
          assert.equal(failedPod.length, 0, `${client}: ${failedPod.length} of ${calls.length} calls failed (${[...new Set(failedPod.map((c) => c.failed))].join(", ")})`);
          lines.push(`${client}: ${calls.length} calls, 0 failed, answered by ${callsByServer(calls).size} servers`);
        }
        detail(this, `every server restarted (${replaced} old pods replaced, ${fresh.length} new ones called by every client) in ${seconds} s: the node client (${node.target}, retries off): ${summary.total} calls, 0 failed, answered by ${Object.keys(summary.byBackend).length} servers; the client pods (retries ${retries}): ${lines.join("; ")}`);
      } finally {
        await node.client.stop().catch(() => undefined);
        await restoreServerTemplate(current);
      }
    });

    it(`${mode}: a proxy pod stops on the image's stop signal (soft stop), retries off`, async function () {
      // HAProxy's master reports how its worker ended: code 0 (Exit) after SIGUSR1's soft
      // stop, 143 (Terminated) after SIGTERM, the runtime's default. The log is followed
      // while the pod terminates; it ends when the container does. The proxy deleted is the
      // one the node client's connection reaches (the conntrack table says where
      // kube-proxy sent it), so its calls, with retries off, show what the stop costs.
      const current = expected();
      const { namespace, clientPods } = current;
      await proxiesReady(current);
      const node = await nodeClient(current, 0);
      try {
        await poll("the node client answered", 30, 1000, async () => (node.events.filter((e) => e.event === "response").length >= 20 ? true : undefined));
        const service = await get<Service>("service", PROXY_NAME, "-n", namespace);
        const virtualIp = service.spec.clusterIP;
        const proxiesByIp = async () => new Map((await livePods(namespace, current.proxy!.selector)).map((p) => [p.status.podIP, p.metadata.name]));
        const proxyOf = await proxiesByIp();
        const through = connectionsThrough(virtualIp, GRPC_PORT);
        const local = new Set(localConnectionsTo(virtualIp, GRPC_PORT));
        const nodeProxies = [...new Set(through.filter((c) => local.has(c.from)).map((c) => proxyOf.get(c.to) ?? c.to))];
        assert.equal(nodeProxies.length, 1, `the node client's connection to ${virtualIp}:${GRPC_PORT} reaches ${nodeProxies.length} proxies (${nodeProxies.join(", ")}); its sockets ${[...local].join(", ")}, conntrack ${JSON.stringify(through)}`);
        const [victim] = nodeProxies;
        const podIps = new Map((await livePods(namespace, current.clientSelector)).map((p) => [p.status.podIP, p.metadata.name]));
        const podsOnVictim = through.filter((c) => proxyOf.get(c.to) === victim).map((c) => podIps.get(c.from.split(":")[0])).filter((p) => p !== undefined);
        const following = api("GET", `/api/v1/namespaces/${namespace}/pods/${victim}/log?follow=true`, undefined, 90_000);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const since = Date.now();
        await kubectlOk(["delete", "pod", victim, "-n", namespace, "--wait=false"]);
        const log = await following;
        const stoppedAfter = (Date.now() - since) / 1000;
        assert.equal(log.status, 200, `log of ${victim}: HTTP ${log.status}`);
        const ended = log.body.split("\n").filter((line) => /worker \(\d+\) exited with code/.test(line));
        assert.ok(ended.length > 0, `${victim}'s log does not say how its worker ended:\n${log.body.split("\n").slice(-8).join("\n")}`);
        assert.ok(ended.every((line) => /exited with code 0 \(Exit\)/.test(line)), `not a soft stop: ${ended.join(" | ")}`);
        const ready = await proxiesReady(current);
        // Calls answered again after the stop, and through which proxy.
        const stoppedAt = Date.now();
        await poll("the node client answered after the stop", 30, 500, async () => ([...answeredBy(node, stoppedAt).values()].reduce((a, b) => a + b, 0) >= 20 ? true : undefined));
        const after = connectionsThrough(virtualIp, GRPC_PORT);
        const nowLocal = new Set(localConnectionsTo(virtualIp, GRPC_PORT));
        const proxyNow = await proxiesByIp();
        const nowOn = [...new Set(after.filter((c) => nowLocal.has(c.from)).map((c) => proxyNow.get(c.to) ?? c.to))];
        const summary = await node.client.stop();
        const failed = failedCalls(node, since);
        const total = node.events.filter((e, i) => (e.event === "response" || e.event === "error") && node.at[i] >= since).length;
        const pods: { client: string; failed: number; calls: number; codes: string[] }[] = [];
        for (const client of clientPods) {
          const calls = await clientCalls(namespace, client, since);
          const failedPod = calls.filter((c) => c.failed);
          pods.push({ client, failed: failedPod.length, calls: calls.length, codes: [...new Set(failedPod.map((c) => String(c.failed)))] });
        }
        const podLine = pods.map((p) => `${p.client}${podsOnVictim.includes(p.client) ? ` (on ${victim})` : ""} ${p.failed} of ${p.calls}${p.codes.length ? ` (${p.codes.join(", ")})` : ""}`).join(", ");
        assert.equal(summary.failed, 0, `${node.target}, retries off, on ${victim}: ${summary.failed} of ${total} calls failed (times from the delete; the log ended at ${stoppedAfter.toFixed(1)} s): ${failed.slice(0, 5).join(" | ")}; the client pods: ${podLine}`);
        for (const p of pods) assert.equal(p.failed, 0, `${p.client}: ${p.failed} of ${p.calls} calls failed since the delete (${p.codes.join(", ")})`);
        detail(this, `${victim} (the node client's proxy) deleted: stopped ${stoppedAfter.toFixed(1)} s later, "${ended[0].trim()}"; ${ready.length} proxies ready again; failed calls since the delete: the node client (retries off) 0 of ${total}, then answered through ${nowOn.join(", ") || "?"}; the client pods: ${podLine}`);
      } finally {
        await node.client.stop().catch(() => undefined);
      }
    });
  });
}
