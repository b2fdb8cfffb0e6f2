// The kubectl commands the stack prints for its users (stack outputs); the e2e runs
// them against the cluster, so both read them from here.

export const logCommand = (namespace: string, pod: string) => `kubectl logs -f -n ${namespace} ${pod}`;

export function getPodsCommand(namespace: string, selector: Record<string, string>): string {
  const labels = Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(",");
  return `kubectl get pods -n ${namespace} -l ${labels}`;
}
