// The kubectl commands the stack prints for its users (stack outputs); the e2e runs
// them against the cluster, so both read them from here.

export const logCommand = (namespace: string, pod: string) => `kubectl logs -f -n ${namespace} ${pod}`;

/** A label selector as kubectl's -l takes it. */
export const labelSelector = (selector: Record<string, string>) => Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(",");

export function getPodsCommand(namespace: string, selector: Record<string, string>): string {
  return `kubectl get pods -n ${namespace} -l ${labelSelector(selector)}`;
}

/** Every pod of a selector at once, each line prefixed with its pod; kubectl follows at most 5 unless told more. */
export function selectorLogCommand(namespace: string, selector: Record<string, string>, pods = 1): string {
  const more = pods > 5 ? ` --max-log-requests ${pods}` : "";
  return `kubectl logs -f -n ${namespace} -l ${labelSelector(selector)} --prefix${more}`;
}
