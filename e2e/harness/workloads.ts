// The stack's workloads as the checks read them from the cluster.
import { poll } from "../../test/support/poll";
import { Expected } from "./expected";
import { Deployment, EndpointSlice, List, Pod, StatefulSet, envOf, get, names } from "./kubectl";
import { SERVER_NAME, CLIENT_NAME } from "../../components/mode";

export const serverDeployment = (ns: string) => get<Deployment>("deployment", SERVER_NAME, "-n", ns);
export const clientStatefulSet = (ns: string) => get<StatefulSet>("statefulset", CLIENT_NAME, "-n", ns);
export const clientEnv = async (ns: string) => envOf((await clientStatefulSet(ns)).spec.template.spec.containers[0]);

export async function serverPods(expected: Expected): Promise<Pod[]> {
  return livePods(expected.namespace, expected.serverSelector);
}

/** The pods of a selector that are not being deleted. */
export async function livePods(ns: string, selector: string): Promise<Pod[]> {
  const list = await get<List<Pod>>("pods", "-n", ns, "-l", selector);
  return list.items.filter((pod) => !pod.metadata.deletionTimestamp);
}

/** The server pods the Service's EndpointSlices list, all of them or only the ready ones. */
export async function slicePods(ns: string, readyOnly: boolean): Promise<string[]> {
  const slices = await get<List<EndpointSlice>>("endpointslices", "-n", ns, "-l", `kubernetes.io/service-name=${SERVER_NAME}`);
  return slices.items
    .flatMap((slice) => slice.endpoints ?? [])
    .filter((endpoint) => !readyOnly || endpoint.conditions?.ready === true)
    .map((endpoint) => endpoint.targetRef?.name ?? "?")
    .sort();
}

/** Waits (2 min at most) until every server pod is ready and listed ready in the slices. */
export async function serversReady(expected: Expected): Promise<string[]> {
  return poll(`${expected.namespace}: ${expected.config.serverReplicas} ready servers`, 120, 1000, async () => {
    const pods = names({ items: await serverPods(expected) });
    const ready = await slicePods(expected.namespace, true);
    return pods.length === expected.config.serverReplicas && JSON.stringify(pods) === JSON.stringify(ready) ? ready : undefined;
  });
}

/** Waits (90 s at most) until the pods have condition Ready. */
export async function podsReady(ns: string, pods: string[]): Promise<void> {
  await poll(`${ns}: ${pods.join(", ")} Ready`, 90, 1000, async () => {
    const list = await get<List<Pod>>("pods", "-n", ns);
    const ready = new Set(
      list.items.filter((p) => p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")).map((p) => p.metadata.name),
    );
    return pods.every((pod) => ready.has(pod)) ? true : undefined;
  });
}

export const PART_OF = "app.kubernetes.io/part-of=grpc-lb";
export const PROJECT_KINDS = "namespaces,all,configmaps,endpointslices,networkpolicies,poddisruptionbudgets,serviceaccounts,roles,rolebindings";

/** Every object of the project's kinds still labelled as part of it, as kind/name. */
export async function projectObjects(): Promise<string[]> {
  const left = await get<List<{ kind: string; metadata: { name: string } }>>(PROJECT_KINDS, "-A", "-l", PART_OF);
  return left.items.map((o) => `${o.kind}/${o.metadata.name}`);
}
