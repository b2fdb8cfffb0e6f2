// Starts the real echo entry points (dist/echo/server.js and client.js) as
// child processes, for the lab, the benchmark and the tests alike, and any
// other command the lab runs (the Java peer, ghz, tool builds). Every child
// is tracked by PID and killed if its parent exits first.
import { ChildProcess, spawn } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";
import * as readline from "node:readline";
import type { Summary } from "../echo/callStats";
import { within } from "./timing";
import type { ChannelRecord, EndpointsRecord, ErrorRecord, ResponseRecord } from "../echo/clientLog";

export const SERVER_ENTRY = path.join(__dirname, "..", "echo", "server.js");
export const CLIENT_ENTRY = path.join(__dirname, "..", "echo", "client.js");

/** Each running child and how to kill it (its process group, for children started with `group`). */
const live = new Map<ChildProcess, (signal: NodeJS.Signals) => void>();
process.once("exit", () => {
  for (const kill of live.values()) kill("SIGKILL");
});

type Env = Record<string, string>;

/** True while a process with this PID exists (signal 0 only checks). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** PIDs of the children started here that have not exited yet. */
export function livePids(): number[] {
  return [...live.keys()].map((child) => child.pid ?? -1);
}

/** SIGKILLs every child still running and resolves once all have exited (bounded): for Ctrl-C. */
export async function killAllChildren(timeoutMs = 3000): Promise<void> {
  const exits = [...live].map(
    ([child, kill]) =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        kill("SIGKILL");
      }),
  );
  await within(Promise.all(exits), timeoutMs, "children exit").catch(() => undefined);
}

export interface Child {
  child: ChildProcess;
  pid: number;
  /** Resolves with the exit code (null if killed by a signal, -1 if it could not be spawned). */
  exited: Promise<number | null>;
  stderr: string[];
  /** Signals the child (its whole process group when started with `group`). */
  kill(signal: NodeJS.Signals): void;
}

export interface TrackedOptions {
  /** Each stderr line as it comes (they are kept in `stderr` too). */
  onStderr?: (line: string) => void;
  /** Own process group, killed as a whole: for scripts whose children (go, mvn) must not outlive them. */
  group?: boolean;
}

/**
 * Spawns any command as a tracked child (killed with this process, and by
 * killAllChildren): stdout line by line to `onLine`, stderr kept. The
 * environment is PATH and `env` only.
 */
export function startTracked(
  command: string,
  args: string[],
  env: Env,
  onLine: (line: string) => void,
  options: TrackedOptions = {},
): Child {
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.group === true,
  });
  const pid = child.pid ?? -1;
  const kill = (signal: NodeJS.Signals) => {
    if (options.group && pid > 0) {
      try {
        process.kill(-pid, signal);
        return;
      } catch {
        // the group is gone: fall back to the child itself
      }
    }
    child.kill(signal);
  };
  live.set(child, kill);
  const stderr: string[] = [];
  readline.createInterface({ input: child.stdout! }).on("line", onLine);
  readline.createInterface({ input: child.stderr! }).on("line", (line) => {
    stderr.push(line);
    options.onStderr?.(line);
  });
  const exited = new Promise<number | null>((resolve) => {
    // A command that cannot be spawned (ENOENT) emits "error" and never "exit".
    child.once("error", (error) => {
      stderr.push(String(error));
      live.delete(child);
      resolve(-1);
    });
    child.once("exit", (code) => {
      live.delete(child);
      resolve(code);
    });
  });
  return { child, pid, exited, stderr, kill };
}

function startChild(entry: string, env: Env, onLine: (line: string) => void, prefix: string[] = []): Child {
  const [command, ...args] = [...prefix, process.execPath, entry];
  return startTracked(command, args, env, onLine);
}

/** A port that is free on every one of `hosts` at the time of asking. */
export async function freePort(hosts: string[], attempts = 20): Promise<number> {
  const tryBind = (host: string, port: number) =>
    new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once("error", reject);
      server.listen(port, host, () => {
        const bound = (server.address() as net.AddressInfo).port;
        server.close(() => resolve(bound));
      });
    });
  for (let i = 0; i < attempts; i++) {
    const port = await tryBind(hosts[0], 0);
    try {
      for (const host of hosts.slice(1)) await tryBind(host, port);
      return port;
    } catch {
      // taken on another address: try another port
    }
  }
  throw new Error(`no port free on all of ${hosts.join(", ")} after ${attempts} attempts`);
}

export interface ServerProcess extends Child {
  name: string;
  host: string;
  port: number;
  lines: string[];
  /** Sends `signal` and waits (bounded) for the exit code. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

export interface ServerOptions {
  /** POD_NAME: how clients will name this backend. */
  name: string;
  host: string;
  port: number;
  env?: Env;
  /** Another server script with the same env and start line (the benchmark's bare server). */
  entry?: string;
  /** A command the server runs under, e.g. ["taskset", "-c", "0"]; it must exec node so the PID stays the server's. */
  prefix?: string[];
}

/**
 * Servers starting at once in this process, over every cluster: the bench starts a
 * dozen fleets side by side (rollouts, discovery), and a burst of 40 Node start-ups
 * on 2 CPUs ran past the start timeout, which is there to catch a server that hangs.
 */
const MAX_STARTING = 8;
let starting = 0;
const waitingToStart: (() => void)[] = [];

/** Waits for a start slot; the returned function hands it to the next waiting start. */
async function startSlot(): Promise<() => void> {
  if (starting < MAX_STARTING) starting++;
  else await new Promise<void>((resolve) => waitingToStart.push(resolve));
  return () => {
    const next = waitingToStart.shift();
    if (next) next();
    else starting--;
  };
}

/** Starts a server once fewer than MAX_STARTING are starting; `startTimeoutMs` counts from then. */
export async function startServer(options: ServerOptions, startTimeoutMs = 15000): Promise<ServerProcess> {
  const release = await startSlot();
  try {
    return await startServerNow(options, startTimeoutMs);
  } finally {
    release();
  }
}

async function startServerNow(options: ServerOptions, startTimeoutMs: number): Promise<ServerProcess> {
  const lines: string[] = [];
  let listening: () => void = () => {};
  const ready = new Promise<void>((resolve) => (listening = resolve));
  const child = startChild(
    options.entry ?? SERVER_ENTRY,
    {
      HOST: options.host,
      PORT: String(options.port),
      POD_NAME: options.name,
      POD_IP: options.host,
      LOG_REQUESTS: "false",
      ...options.env,
    },
    (line) => {
      lines.push(line);
      if (line.startsWith("Echo server listening")) listening();
    },
    options.prefix,
  );
  const failed = child.exited.then((code) => {
    throw new Error(`server ${options.name} exited with ${code} before listening: ${child.stderr.join(" ")}`);
  });
  try {
    await within(Promise.race([ready, failed]), startTimeoutMs, `server ${options.name} start`);
  } catch (error) {
    child.child.kill("SIGKILL");
    throw error;
  }
  failed.catch(() => {}); // exits after a successful start are expected (stop)
  const stop = (signal: NodeJS.Signals = "SIGTERM", timeoutMs = 20000) => {
    if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill(signal);
    return within(child.exited, timeoutMs, `server ${options.name} stop`);
  };
  return { ...child, name: options.name, host: options.host, port: options.port, lines, stop };
}

/** One parsed JSON line of the client (see echo/clientLog.ts). */
export type ClientEvent =
  | { event: "start" }
  | ResponseRecord
  | ErrorRecord
  | ChannelRecord
  | EndpointsRecord
  | (Omit<Summary, "event"> & { event: "progress" | "summary" });

export interface ClientProcess extends Child {
  /** The final summary; rejects if the client exits without one. */
  summary: Promise<Summary>;
  stop(timeoutMs?: number): Promise<Summary>;
}

export function startClient(env: Env, onEvent: (event: ClientEvent) => void = () => {}): ClientProcess {
  let final: Summary | undefined;
  const child = startChild(CLIENT_ENTRY, { ECHO_LOG_FORMAT: "json", ...env }, (line) => {
    let event: ClientEvent;
    try {
      event = JSON.parse(line) as ClientEvent;
    } catch {
      return; // not ours (e.g. a grpc-js trace line)
    }
    if (event.event === "summary") final = event as Summary;
    onEvent(event);
  });
  const summary = child.exited.then((code) => {
    if (final && code === 0) return final;
    throw new Error(`client exited with ${code} without a summary: ${child.stderr.join(" ")}`);
  });
  summary.catch(() => {}); // callers that only stop() still see the error there
  const stop = (timeoutMs = 20000) => {
    if (child.child.exitCode === null) child.child.kill("SIGTERM");
    return within(summary, timeoutMs, "client stop");
  };
  return { ...child, summary, stop };
}
