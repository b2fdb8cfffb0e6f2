// Starts the real echo entry points (dist/echo/server.js and client.js) as
// child processes, for the lab, the benchmark and the tests alike. Every child
// is tracked by PID and killed if its parent exits first.
import { ChildProcess, spawn } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";
import * as readline from "node:readline";
import type { Summary } from "../echo/callStats";
import type { ChannelRecord, EndpointsRecord, ErrorRecord, ResponseRecord } from "../echo/clientLog";

export const SERVER_ENTRY = path.join(__dirname, "..", "echo", "server.js");
export const CLIENT_ENTRY = path.join(__dirname, "..", "echo", "client.js");

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
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
  return [...live].map((child) => child.pid ?? -1);
}

/** SIGKILLs every child still running and resolves once all have exited (bounded): for Ctrl-C. */
export async function killAllChildren(timeoutMs = 3000): Promise<void> {
  const exits = [...live].map(
    (child) =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGKILL");
      }),
  );
  await within(Promise.all(exits), timeoutMs, "children exit").catch(() => undefined);
}

interface Child {
  child: ChildProcess;
  pid: number;
  /** Resolves with the exit code (null if killed by a signal). */
  exited: Promise<number | null>;
  stderr: string[];
}

function startChild(entry: string, env: Env, onLine: (line: string) => void): Child {
  const child = spawn(process.execPath, [entry], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  const stderr: string[] = [];
  readline.createInterface({ input: child.stdout! }).on("line", onLine);
  readline.createInterface({ input: child.stderr! }).on("line", (line) => stderr.push(line));
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      live.delete(child);
      resolve(code);
    }),
  );
  return { child, pid: child.pid ?? -1, exited, stderr };
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
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
}

export async function startServer(options: ServerOptions, startTimeoutMs = 15000): Promise<ServerProcess> {
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
