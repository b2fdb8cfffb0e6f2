// What e2e/cluster.sh wrote about the cluster it keeps up (<state>/cluster.env): where
// the kubeconfig, kubectl and the Pulumi CLI are, and which kind of node runs the pods.
import * as fs from "node:fs";
import * as path from "node:path";

export interface ClusterEnv {
  node: "kwok" | "real";
  state: string;
  /** The echo image reference the stacks run (grpc-lb:image). */
  image: string;
  /** Mode l7's HAProxy image (grpc-lb:proxyImage): built from Debian's binary for real pods. */
  proxyImage: string;
  kubeconfig: string;
  kubectl: string;
  /** Holds bin/pulumi and bin/pulumi-language-nodejs. */
  pulumiRoot: string;
  /** Holds pulumi-resource-kubernetes. */
  providerDir: string;
  /** Real pods: the kubelet's cgroup root under each v1 hierarchy. */
  cgroup: string;
  /** Everything the file says, for the report (tool versions, build and bring-up times). */
  facts: Record<string, string>;
}

let cached: ClusterEnv | undefined;

export function clusterEnv(): ClusterEnv {
  if (cached) return cached;
  const state = process.env.GRPC_LB_E2E_STATE;
  if (!state) throw new Error("GRPC_LB_E2E_STATE is not set: run the checks through e2e/checks.sh (npm run e2e:checks)");
  const file = path.join(state, "cluster.env");
  if (!fs.existsSync(file)) throw new Error(`GRPC_LB_E2E_STATE=${state} has no cluster.env: is a cluster up (npm run e2e:up)?`);
  const facts: Record<string, string> = {};
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    const at = line.indexOf("=");
    if (at > 0) facts[line.slice(0, at)] = line.slice(at + 1);
  }
  const need = (key: string): string => {
    const value = facts[key];
    if (!value) throw new Error(`${file} does not set ${key}: bring the cluster up again with this checkout's e2e/cluster.sh`);
    return value;
  };
  const node = need("GRPC_LB_E2E_NODE");
  if (node !== "kwok" && node !== "real") throw new Error(`${file}: GRPC_LB_E2E_NODE must be kwok or real, got ${node}`);
  cached = {
    node,
    state,
    image: need("GRPC_LB_E2E_IMAGE"),
    proxyImage: need("GRPC_LB_E2E_PROXY_IMAGE"),
    kubeconfig: need("KUBECONFIG"),
    kubectl: need("KUBECTL"),
    pulumiRoot: need("PULUMI_ROOT"),
    providerDir: need("PULUMI_PROVIDER_DIR"),
    cgroup: facts.GRPC_LB_E2E_CGROUP ?? "",
    facts,
  };
  return cached;
}

export const logsDir = () => path.join(clusterEnv().state, "logs");
export const realPods = () => clusterEnv().node === "real";
