// A rolling update of a live stack's servers (`kubectl rollout restart`), while some client
// calls them: the real client on the node with retries off (./nodeClient.ts), and in a
// mode with a proxy the client pods too.
import { SERVER_TERMINATION_GRACE_SECONDS } from "../../components/echoServers";
import { SERVER_NAME } from "../../components/mode";
import { poll } from "../../test/support/poll";
import { Expected } from "./expected";
import { List, Pod, get, kubectlOk, names } from "./kubectl";
import { serverPods, serversReady } from "./workloads";

export interface Restart {
  /** How many old server pods were replaced. */
  replaced: number;
  /** The new server pods, ready. */
  fresh: string[];
}

/**
 * Restarts every server and returns once the rollout is done, every old pod is gone (not
 * only terminating: calls it fails while it stops count too) and `reached(fresh)` says
 * the client side has calls answered by every new pod (30 s at most).
 */
export async function restartServers(expected: Expected, reached: (fresh: string[]) => Promise<boolean>): Promise<Restart> {
  const { namespace } = expected;
  const before = new Set((await serverPods(expected)).map((p) => p.metadata.name));
  await kubectlOk(["rollout", "restart", `deployment/${SERVER_NAME}`, "-n", namespace]);
  await kubectlOk(["rollout", "status", `deployment/${SERVER_NAME}`, "-n", namespace, "--timeout=180s"]);
  const fresh = (await serversReady(expected)).filter((pod) => !before.has(pod));
  await poll("the old servers gone", 2 * SERVER_TERMINATION_GRACE_SECONDS, 1000, async () => {
    const left = names(await get<List<Pod>>("pods", "-n", namespace, "-l", expected.serverSelector)).filter((pod) => before.has(pod));
    return left.length === 0 ? true : undefined;
  });
  await poll("calls to every new server", 30, 1000, async () => ((await reached(fresh)) ? true : undefined));
  return { replaced: before.size, fresh };
}

/**
 * `kubectl rollout restart` annotates the pod template, and the next `pulumi up` that
 * updates the Deployment takes the annotation out again, rolling every server once more
 * (seen here: a refresh does not count it as drift). Takes it out now, back to the
 * program's template (it has no annotations), so later checks start from there.
 */
export async function restoreServerTemplate(expected: Expected): Promise<void> {
  const { namespace } = expected;
  await kubectlOk(["patch", `deployment/${SERVER_NAME}`, "-n", namespace, "--type", "json", "-p", '[{"op":"remove","path":"/spec/template/metadata/annotations"}]']);
  await kubectlOk(["rollout", "status", `deployment/${SERVER_NAME}`, "-n", namespace, "--timeout=180s"]);
  await serversReady(expected);
}
