// Least privilege for clients that resolve through the Kubernetes API (mode api): their
// own ServiceAccount, and a Role in the servers' namespace that allows `list` and `watch`
// on discovery.k8s.io endpointslices and nothing else (no `get`: a list+watch resolver
// never asks for one slice by name).
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export const ENDPOINTSLICE_RULE = { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] };

export interface EndpointSliceAccess {
  serviceAccount: k8s.core.v1.ServiceAccount;
  role: k8s.rbac.v1.Role;
  binding: k8s.rbac.v1.RoleBinding;
}

/** `name` names the ServiceAccount; the Role and RoleBinding are `<name>-read-endpointslices`. */
export function endpointSliceAccess(
  name: string,
  namespace: pulumi.Input<string>,
  labels: Record<string, string>,
  parent: pulumi.Resource,
): EndpointSliceAccess {
  const opts = { parent };
  const serviceAccount = new k8s.core.v1.ServiceAccount(
    name,
    // The pods that need the token mount it themselves; nothing else gets it by default.
    { metadata: { name, namespace, labels }, automountServiceAccountToken: false },
    opts,
  );
  const roleName = `${name}-read-endpointslices`;
  const role = new k8s.rbac.v1.Role(roleName, { metadata: { name: roleName, namespace, labels }, rules: [ENDPOINTSLICE_RULE] }, opts);
  const binding = new k8s.rbac.v1.RoleBinding(
    roleName,
    {
      metadata: { name: roleName, namespace, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
      subjects: [{ kind: "ServiceAccount", name: serviceAccount.metadata.name, namespace }],
    },
    opts,
  );
  return { serviceAccount, role, binding };
}
