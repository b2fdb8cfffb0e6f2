// The two guards every serving workload of the stack gets: a NetworkPolicy that
// admits only the pods meant to call it, and a PodDisruptionBudget that lets
// voluntary evictions (kubectl drain) take one pod at a time.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GRPC_PORT } from "./mode";
import { WorkloadLabels } from "./labels";

/** NetworkPolicy `<name>-allow-clients`: only pods matching `from` reach the gRPC port. */
export function allowOnlyFrom(
  name: string,
  namespace: pulumi.Input<string>,
  labels: WorkloadLabels,
  from: Record<string, string>,
  parent: pulumi.Resource,
): k8s.networking.v1.NetworkPolicy {
  return new k8s.networking.v1.NetworkPolicy(
    `${name}-allow-clients`,
    {
      metadata: { name: `${name}-allow-clients`, namespace, labels: labels.pod },
      spec: {
        podSelector: { matchLabels: labels.selector },
        policyTypes: ["Ingress"],
        ingress: [{ from: [{ podSelector: { matchLabels: from } }], ports: [{ protocol: "TCP", port: GRPC_PORT }] }],
      },
    },
    { parent },
  );
}

/** PodDisruptionBudget `<name>`: one pod at a time, whatever the replica count. */
export function oneAtATime(
  name: string,
  namespace: pulumi.Input<string>,
  labels: WorkloadLabels,
  parent: pulumi.Resource,
): k8s.policy.v1.PodDisruptionBudget {
  return new k8s.policy.v1.PodDisruptionBudget(
    name,
    {
      metadata: { name, namespace, labels: labels.pod },
      spec: {
        // A drain evicts the next pod only once the last one's replacement is ready
        // elsewhere. maxUnavailable rather than minAvailable, so a single replica
        // does not block drains forever.
        maxUnavailable: 1,
        selector: { matchLabels: labels.selector },
        // A pod that is not ready serves nothing: evicting it costs no capacity.
        unhealthyPodEvictionPolicy: "AlwaysAllow",
      },
    },
    { parent },
  );
}
