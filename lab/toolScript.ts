// Runs one of scripts/tools/*.sh (they build or fetch a tool, print its path or
// classpath on stdout and log to stderr) as a tracked child with a time bound,
// for lab code that needs ghz or the Java peer. A failed script is an answer,
// not an exception: its last log line says what is missing.
import * as path from "node:path";
import { startTracked } from "./processes";
import { orTimeout } from "./timing";

export const TOOLS_DIR = path.resolve(__dirname, "..", "..", "scripts", "tools");

export type ToolResult = { ok: true; output: string } | { ok: false; reason: string };

/** Runs scripts/tools/<name> (no arguments); `log` gets its stderr lines as they come. */
export async function runToolScript(name: string, timeoutMs: number, log: (line: string) => void = () => {}): Promise<ToolResult> {
  const stdout: string[] = [];
  // The whole environment: go and mvn read their caches, proxies and settings from it.
  const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
  // Its own process group: a timeout or Ctrl-C also ends the go or mvn it runs.
  const script = startTracked("bash", [path.join(TOOLS_DIR, name)], env, (line) => stdout.push(line), { onStderr: log, group: true });
  const code = await orTimeout(script.exited, timeoutMs);
  if (code === "timeout") {
    script.kill("SIGKILL");
    return { ok: false, reason: `${name} did not finish within ${timeoutMs / 1000} s` };
  }
  if (code !== 0) return { ok: false, reason: script.stderr.at(-1) ?? `${name} exited with ${code} and said nothing` };
  const output = stdout.join("\n").trim();
  return output ? { ok: true, output } : { ok: false, reason: `${name} printed nothing` };
}
