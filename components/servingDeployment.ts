// The Deployment every serving workload of the stack gets (the servers, l7's proxy):
// hardened pods, rolled without losing capacity, and a bounded wait in `pulumi up`.
// Callers add what is theirs to the pod spec: containers, grace period, volumes.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { hardenedPodFields } from "./hardening";
import { WorkloadLabels } from "./labels";
import { AWAIT_TIMEOUT_ANNOTATION } from "./rollout";

type PodSpec = k8s.types.input.core.v1.PodSpec;

export function servingDeployment(
  name: string,
  namespace: pulumi.Input<string>,
  labels: WorkloadLabels,
  replicas: number,
  pod: Omit<PodSpec, "securityContext" | "automountServiceAccountToken" | "enableServiceLinks">,
  opts: pulumi.CustomResourceOptions,
): k8s.apps.v1.Deployment {
  return new k8s.apps.v1.Deployment(
    name,
    {
      metadata: { name, namespace, labels: labels.pod, annotations: AWAIT_TIMEOUT_ANNOTATION },
      spec: {
        replicas,
        selector: { matchLabels: labels.selector },
        // Keep full capacity during a rollout: a new pod must be ready before an old one goes.
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        revisionHistoryLimit: 3,
        template: { metadata: { labels: labels.pod }, spec: { ...hardenedPodFields(), ...pod } },
      },
    },
    opts,
  );
}
