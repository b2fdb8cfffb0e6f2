// Real pods only: freezing a server pod's processes from the node (SIGSTOP of every process
// in its container's cgroup, found under the kubelet's cgroup root). No FIN, no RST: only
// the clients' keepalive can notice. Whatever is frozen is thawed on exit too.
import * as fs from "node:fs";
import * as path from "node:path";
import { clusterEnv } from "./clusterEnv";
import { Pod, get } from "./kubectl";

const frozen = new Set<number>();
process.on("exit", () => thaw([...frozen]));
for (const [signal, code] of [["SIGTERM", 143], ["SIGINT", 130]] as const) {
  process.once(signal, () => {
    thaw([...frozen]);
    process.exit(code);
  });
}

function findDir(root: string, name: string, mustContain: string, depth = 0): string | undefined {
  if (depth > 6) return undefined;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(root, { withFileTypes: true });
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const dir = path.join(root, entry.name);
    if (entry.name === name && dir.includes(mustContain)) return dir;
    const found = findDir(dir, name, mustContain, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** PIDs of the pod's first container, from its cgroup in the pids hierarchy. */
export async function containerPids(namespace: string, pod: string): Promise<number[]> {
  const live = await get<Pod>("pod", pod, "-n", namespace);
  const containerId = (live.status.containerStatuses?.[0]?.containerID ?? "").replace(/^.*:\/\//, "");
  if (!containerId) throw new Error(`${pod} has no running container`);
  const dir = findDir(path.join("/sys/fs/cgroup/pids", clusterEnv().cgroup), containerId, `pod${live.metadata.uid}`);
  if (!dir) throw new Error(`no cgroup for container ${containerId} of ${pod}`);
  return fs.readFileSync(path.join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number);
}

export function freeze(pids: number[]): void {
  for (const pid of pids) {
    process.kill(pid, "SIGSTOP");
    frozen.add(pid);
  }
}

export function thaw(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGCONT");
    } catch {
      // gone already
    }
    frozen.delete(pid);
  }
}
