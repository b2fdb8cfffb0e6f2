// What the client pods' own calls show, per mode: the point of the whole project. l4: each
// client's calls all answered by one server (kube-proxy chose it per connection).
// round_robin (clientside, api), or pick_first to a proxy (l7): each client's calls
// answered by every ready server.
import { poll } from "../../test/support/poll";
import { callsByServer, Call, clientCalls, shares } from "./clientCalls";
import { Expected } from "./expected";
import { slicePods } from "./workloads";

/** Fewer answered calls than this per client say nothing about a distribution. */
export const MIN_CALLS = 20;

function shapeProblem(expected: Expected, calls: Call[], ready: string[]): string | undefined {
  const byServer = callsByServer(calls);
  const answered = [...byServer.values()].reduce((a, b) => a + b, 0);
  if (answered < MIN_CALLS) return `${answered} answered calls (want ${MIN_CALLS})`;
  const servers = [...byServer.keys()];
  if (expected.pinned) {
    if (servers.length !== 1) return `answered by ${servers.length} servers (${shares(calls)}), want 1`;
    if (!ready.includes(servers[0])) return `pinned to ${servers[0]}, which is not a ready server (${ready.join(", ")})`;
    return undefined;
  }
  const missing = ready.filter((server) => !byServer.has(server));
  return missing.length > 0 ? `no calls answered by ${missing.join(", ")} (${shares(calls)})` : undefined;
}

/**
 * Waits (2 min at most) until every client's calls since `sinceMs` (all of its log when
 * undefined) have the mode's shape; returns one line per client for the check's detail.
 */
export async function expectTrafficShape(expected: Expected, sinceMs?: number): Promise<string> {
  const ready = await slicePods(expected.namespace, true);
  const lines: string[] = [];
  for (const pod of expected.clientPods) {
    const calls = await poll(`${pod}: ${expected.pinned ? "pinned" : "spread"} traffic shape`, 24, 5000, async () => {
      const seen = await clientCalls(expected.namespace, pod, sinceMs);
      const problem = shapeProblem(expected, seen, ready);
      if (problem) throw new Error(problem);
      return seen;
    });
    const failed = calls.filter((c) => c.failed).length;
    lines.push(`${pod}: ${calls.length - failed} ok, ${failed} failed, ${shares(calls)}`);
  }
  return lines.join("; ");
}
