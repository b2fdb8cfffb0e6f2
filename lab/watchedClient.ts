// A real echo client process (dist/echo/client.js, JSON logs) whose lines are
// tallied as they arrive; the demo and the benchmark both watch clients this way.
import { CallTally } from "./callTally";
import { ClientProcess, startClient } from "./processes";
import type { Teardown } from "./teardown";

export interface WatchedClient {
  name: string;
  process: ClientProcess;
  tally: CallTally;
}

export interface WatchOptions {
  windowMs?: number;
  /** Keep every call's time and latency (benchmark windows). */
  keepSamples?: boolean;
  /** Called on every response, e.g. to time the first call to a new server. */
  onResponse?: (pod: string, at: number) => void;
}

export function startWatchedClient(name: string, env: Record<string, string>, options: WatchOptions = {}): WatchedClient {
  const tally = new CallTally(options.windowMs, options.keepSamples);
  const process = startClient(env, (event) => {
    if (event.event === "response") {
      const at = Date.now();
      tally.recordResponse(event.pod, event.ms, at);
      options.onResponse?.(event.pod, at);
    } else if (event.event === "error") {
      tally.recordFailure(event.code, event.ms);
    }
  });
  return { name, process, tally };
}

/** Ends a client at once (Ctrl-C, errors: no summary wanted) and resolves when it has exited. */
export async function killClient(client: WatchedClient): Promise<void> {
  const child = client.process.child;
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await client.process.exited;
}

/** `count` clients named client-1, client-2, ... with one environment, each killed when `teardown` runs. */
export function startWatchedClients(count: number, env: Record<string, string>, teardown: Teardown, options: WatchOptions = {}): WatchedClient[] {
  return Array.from({ length: count }, (_, i) => {
    const client = startWatchedClient(`client-${i + 1}`, env, options);
    teardown.add(() => killClient(client));
    return client;
  });
}
