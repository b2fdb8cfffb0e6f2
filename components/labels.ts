// Labels for a workload: `run: <name>` is the selector (immutable, and what
// `kubectl get pods -l run=echo-client` relies on); the app.kubernetes.io set
// describes the pods for people and tools.

export interface WorkloadLabels {
  selector: Record<string, string>;
  pod: Record<string, string>;
}

export function workloadLabels(name: string, component: "server" | "client" | "proxy", instance: string): WorkloadLabels {
  const selector = { run: name };
  return {
    selector,
    pod: {
      ...selector,
      "app.kubernetes.io/name": name,
      "app.kubernetes.io/component": component,
      "app.kubernetes.io/instance": instance,
      "app.kubernetes.io/part-of": "grpc-lb",
      "app.kubernetes.io/managed-by": "pulumi",
    },
  };
}
