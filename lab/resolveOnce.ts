// `node dist/echo/resolve.js --once <target>`: what a client's resolver sees, from a
// process of its own (grpc-js reads some settings only when it is first loaded).
import { execFile } from "node:child_process";
import * as path from "node:path";

const RESOLVE = path.join(__dirname, "..", "echo", "resolve.js");

export interface Resolution {
  event: "resolved" | "error";
  endpoints?: string[];
  code?: string;
  message?: string;
}

/** Its one result with `env` added to ours, and how long it took (process start included). */
export function resolveOnce(target: string, env: Record<string, string>): Promise<{ result: Resolution; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [RESOLVE, "--once", target], { env: { ...process.env, ...env }, timeout: 30_000 }, (error, stdout, stderr) => {
      const line = stdout.split("\n").find((l) => l.startsWith("{"));
      if (!line) reject(new Error(`resolve.js printed no result (${error?.message ?? ""}): ${stderr.trim()}`));
      else resolve({ result: JSON.parse(line) as Resolution, ms: Date.now() - started });
    });
  });
}
