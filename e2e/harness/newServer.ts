// One more server pod in a live stack, clients untouched; done once per stack and process,
// so the check of the update and the check of what running clients make of it can each
// run alone.
import { strict as assert } from "node:assert";
import { Expected, expectedFor } from "./expected";
import { OperationResult, E2eStack } from "./stacks";
import { Pod, get } from "./kubectl";
import { clientStatefulSet, serverPods, serversReady } from "./workloads";

export interface AddedServer {
  from: number;
  to: number;
  /** The preview of the change: what the engine planned. */
  preview: OperationResult;
  up: OperationResult;
  /** When `up` returned (epoch ms). */
  upReturnedAt: number;
  newPod: string;
  /** When the new pod turned Ready (its condition's lastTransitionTime, whole seconds). */
  readyAt: number;
  expected: Expected;
  /** The client StatefulSet's metadata.generation before and after: equal if untouched. */
  clientGenerations: [number, number];
}

const added = new Map<string, Promise<AddedServer>>();

export function addServer(stack: E2eStack): Promise<AddedServer> {
  let result = added.get(stack.name);
  if (!result) {
    result = add(stack);
    added.set(stack.name, result);
  }
  return result;
}

async function add(stack: E2eStack): Promise<AddedServer> {
  await stack.ensure();
  const from = expectedFor(stack.name, stack.current()).config.serverReplicas;
  const before = new Set((await serverPods(expectedFor(stack.name, stack.current()))).map((p) => p.metadata.name));
  const generation = async () => (await clientStatefulSet(expectedFor(stack.name, stack.current()).namespace)).metadata.generation;
  const generationBefore = await generation();
  const changes = { serverReplicas: String(from + 1) };
  await stack.writeConfig({ ...stack.current(), ...changes });
  const preview = await stack.preview("server-replicas");
  const up = await stack.apply(changes, "server-replicas");
  const upReturnedAt = Date.now();
  const expected = expectedFor(stack.name, stack.current());
  const fresh = (await serversReady(expected)).filter((name) => !before.has(name));
  assert.equal(fresh.length, 1, `want exactly one new ready server, got ${fresh.join(", ") || "none"}`);
  const pod = await get<Pod>("pod", fresh[0], "-n", expected.namespace);
  const ready = pod.status.conditions?.find((c) => c.type === "Ready" && c.status === "True");
  assert.ok(ready?.lastTransitionTime, `${fresh[0]} has no Ready time`);
  return {
    from,
    to: from + 1,
    preview,
    up,
    upReturnedAt,
    newPod: fresh[0],
    readyAt: Date.parse(ready.lastTransitionTime),
    expected,
    clientGenerations: [generationBefore, await generation()],
  };
}
