// What a process costs and holds, for the scale report: resident memory (from
// `ps`, which Linux and macOS both have) and established TCP connections to given
// ports (from /proc, Linux only: elsewhere null, said as such in the report).
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";

/** Resident memory in MiB of each PID that still runs (one `ps` for all). */
export function rssMiB(pids: readonly number[]): Map<number, number> {
  const result = new Map<number, number>();
  if (pids.length === 0) return result;
  let out = "";
  try {
    out = execFileSync("ps", ["-o", "pid=,rss=", "-p", pids.join(",")], { encoding: "utf8" });
  } catch (error) {
    // ps exits 1 when some PID is gone; what it printed for the others still counts.
    out = String((error as { stdout?: string }).stdout ?? "");
  }
  for (const line of out.trim().split("\n")) {
    const [pid, kib] = line.trim().split(/\s+/).map(Number);
    if (Number.isFinite(pid) && Number.isFinite(kib)) result.set(pid, Math.round((kib / 1024) * 10) / 10);
  }
  return result;
}

const ESTABLISHED = "01";

/** Socket inodes the process holds open (its fds pointing at "socket:[inode]"). */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]);
    } catch {
      // closed while we looked
    }
  }
  return inodes;
}

/**
 * Established TCP connections of `pid` whose remote port is one of `ports`; null
 * where /proc is missing (not Linux). Reads the process's own network namespace.
 */
export function establishedConnections(pid: number, ports: readonly number[]): number | null {
  if (!fs.existsSync(`/proc/${pid}/net/tcp`)) return null;
  const inodes = socketInodes(pid);
  let count = 0;
  for (const table of ["tcp", "tcp6"]) {
    const file = `/proc/${pid}/net/${table}`;
    if (!fs.existsSync(file)) continue;
    for (const line of fs.readFileSync(file, "utf8").split("\n").slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== ESTABLISHED || !inodes.has(fields[9])) continue;
      const remotePort = parseInt(fields[2].split(":")[1], 16);
      if (ports.includes(remotePort)) count++;
    }
  }
  return count;
}
