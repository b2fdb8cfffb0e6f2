// Resident memory of a process by PID: /proc on Linux, `ps` elsewhere (macOS).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** VmRSS of `pid` in MiB; throws when the process is gone or the OS does not tell. */
export function rssMiB(pid: number): number {
  let kib: number;
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
    if (!match) throw new Error(`/proc/${pid}/status has no VmRSS line`);
    kib = Number(match[1]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    // No /proc (macOS), or the process is gone: ps says which.
    const out = execFileSync("ps", ["-o", "rss=", "-p", String(pid)], { encoding: "utf8", timeout: 5000 }).trim();
    kib = Number(out);
    if (!out || !Number.isFinite(kib)) throw new Error(`ps gave no RSS for PID ${pid}: "${out}"`);
  }
  return Math.round((kib / 1024) * 10) / 10;
}
