// The stack's own namespace, labelled so the API server rejects any pod that does
// not pass Pod Security "restricted" (and warns and audits at the same level).
import * as k8s from "@pulumi/kubernetes";

export const POD_SECURITY_LABELS = {
  "pod-security.kubernetes.io/enforce": "restricted",
  "pod-security.kubernetes.io/enforce-version": "latest",
  "pod-security.kubernetes.io/warn": "restricted",
  "pod-security.kubernetes.io/warn-version": "latest",
  "pod-security.kubernetes.io/audit": "restricted",
  "pod-security.kubernetes.io/audit-version": "latest",
};

export function restrictedNamespace(name: string): k8s.core.v1.Namespace {
  return new k8s.core.v1.Namespace("namespace", {
    metadata: {
      name,
      labels: { ...POD_SECURITY_LABELS, "app.kubernetes.io/part-of": "grpc-lb", "app.kubernetes.io/managed-by": "pulumi" },
    },
  });
}
