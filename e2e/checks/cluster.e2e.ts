// The cluster e2e/cluster.sh brought up: a ready API server and Ready nodes.
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type * as k8s from "@pulumi/kubernetes";
import { clusterEnv } from "../harness/clusterEnv";
import { api } from "../harness/kubeApi";
import { List, find, get } from "../harness/kubectl";
import { detail } from "../harness/detail";

type Node = k8s.types.output.core.v1.Node;

describe("cluster", () => {
  it("tools: Pulumi CLI at the SDK's release, language host and provider in place", async function () {
    const env = clusterEnv();
    const sdk = (JSON.parse(fs.readFileSync(require.resolve("@pulumi/pulumi/package.json"), "utf8")) as { version: string }).version;
    const cli = execFileSync(path.join(env.pulumiRoot, "bin", "pulumi"), ["version"], { encoding: "utf8" }).trim();
    assert.equal(cli, `v${sdk}`, "the Pulumi CLI is built at the release of the @pulumi/pulumi the project pins");
    for (const file of [path.join(env.pulumiRoot, "bin", "pulumi-language-nodejs"), path.join(env.providerDir, "pulumi-resource-kubernetes")]) {
      fs.accessSync(file, fs.constants.X_OK);
    }
    const facts = env.facts;
    detail(this, `pulumi ${cli} (@pulumi/pulumi ${sdk}), provider ${facts.PULUMI_RESOURCE_KUBERNETES_VERSION}, kubernetes ${facts.KUBERNETES_VERSION}; tools ready in ${facts.TOOLS_SECONDS} s`);
  });

  it("cluster: API server ready, nodes Ready", async function () {
    const readyz = await api("GET", "/readyz");
    assert.equal(readyz.status, 200, `/readyz answered ${readyz.status}: ${readyz.body}`);
    const nodes = await get<List<Node>>("nodes");
    const notReady = nodes.items.filter((n) => !n.status.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
    assert.ok(nodes.items.length > 0, "the cluster has no nodes");
    assert.deepEqual(notReady.map((n) => n.metadata.name), [], "nodes not Ready");
    assert.ok(await find("serviceaccount", "default", "-n", "default"), "no default ServiceAccount: the controller-manager is not working");
    const facts = clusterEnv().facts;
    detail(this, `${facts.CLUSTER_DESCRIPTION}; ${nodes.items.length} Ready; up in ${facts.CLUSTER_UP_SECONDS} s`);
  });
});
