// Pod and container settings that pass Pod Security "restricted", shared by every pod
// template of the stack (servers, clients, l7's proxy) so all get exactly the same hardening.
import * as k8s from "@pulumi/kubernetes";

type PodSecurityContext = k8s.types.input.core.v1.PodSecurityContext;
type SecurityContext = k8s.types.input.core.v1.SecurityContext;

/** Numeric, so the kubelet can check runAsNonRoot without looking inside the image. */
export const RUN_AS_USER = 10001;

export function restrictedPodSecurityContext(): PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: RUN_AS_USER,
    runAsGroup: RUN_AS_USER,
    seccompProfile: { type: "RuntimeDefault" },
  };
}

export function restrictedContainerSecurityContext(): SecurityContext {
  return {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    // Neither Node nor HAProxy writes to disk here; a read-only root keeps it that way.
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** Pod-level fields for every pod of this project: hardening plus no API access. */
export function hardenedPodFields(): {
  securityContext: PodSecurityContext;
  automountServiceAccountToken: false;
  enableServiceLinks: false;
} {
  return {
    securityContext: restrictedPodSecurityContext(),
    // The echo pods never talk to the Kubernetes API: no token to steal.
    automountServiceAccountToken: false,
    // Service links would inject ECHO_SERVER_* variables nobody reads.
    enableServiceLinks: false,
  };
}
