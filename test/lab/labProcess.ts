// Runs a lab entry point (dist/lab/<name>.js) as a child process without a TTY,
// as CI or a pipe would, and collects its output.
import { ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";

export interface LabRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (null if killed by a signal). */
  exited: Promise<number | null>;
}

/** `env` is added to this process's environment. */
export function runLab(name: "demo" | "bench", args: string[], env: Record<string, string> = {}): LabRun {
  const entry = path.join(__dirname, "..", "..", "lab", `${name}.js`);
  const child = spawn(process.execPath, [entry, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Stops a run that is still going (a failed test), by its PID. */
export function killLab(run: LabRun): void {
  if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill("SIGKILL");
}

/** The PIDs listed in the line matching `pattern` ("... (PIDs 1 2 3) ..."). */
export function pidsIn(output: string, pattern: RegExp): number[] {
  const line = output.split("\n").find((l) => pattern.test(l)) ?? "";
  const list = /PIDs ([\d ]+)/.exec(line)?.[1] ?? "";
  return list.trim().split(/\s+/).filter(Boolean).map(Number);
}
