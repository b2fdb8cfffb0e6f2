// How long a server takes from spawn to its first answered Echo call: the same
// definition for any server, whatever it prints when it starts.
import { performance } from "node:perf_hooks";
import * as grpc from "@grpc/grpc-js";
import { loadEchoProto } from "../echo/proto";
import { sleep } from "./timing";

/** One Echo call on a channel of its own, closed after. */
function echoOnce(target: string, deadlineMs: number): Promise<void> {
  const { Client } = loadEchoProto();
  // A private subchannel: grpc-js's shared pool would hand the next attempt a
  // subchannel still in reconnect backoff (1 s and more) after a refused connection.
  const client = new Client(target, grpc.credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 });
  return new Promise<void>((resolve, reject) =>
    client.echo({ message: "first call" }, { deadline: Date.now() + deadlineMs }, (error) => (error ? reject(error) : resolve())),
  ).finally(() => client.close());
}

export interface FirstCallOptions {
  /** performance.now() at the spawn. */
  spawnedAt: number;
  timeoutMs: number;
  /** Pause between attempts: the resolution of the figure. */
  everyMs?: number;
  /** True once polling is pointless (the process exited); checked between attempts. */
  gaveUp?: () => boolean;
}

/** Polls `target` with Echo calls until one succeeds; resolves with ms since the spawn. */
export async function msToFirstCall(target: string, options: FirstCallOptions): Promise<number> {
  const deadline = options.spawnedAt + options.timeoutMs;
  let lastError = "no attempt";
  while (performance.now() < deadline) {
    if (options.gaveUp?.()) throw new Error(`${target}: gave up waiting for a first call (${lastError})`);
    try {
      // A connected server gets the rest of the time to answer (a JVM's first call is slow).
      await echoOnce(target, Math.max(1, deadline - performance.now()));
      return performance.now() - options.spawnedAt;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await sleep(options.everyMs ?? 10);
  }
  throw new Error(`${target}: no successful Echo call within ${options.timeoutMs} ms of the spawn (${lastError})`);
}
