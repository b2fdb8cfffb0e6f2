// The echo client as a library: `concurrency` loops share one channel (like the
// original's threads sharing one stub), so the channel's LB policy alone
// decides which backend answers each call.
import * as os from "node:os";
import { performance } from "node:perf_hooks";
import * as grpc from "@grpc/grpc-js";
import { CallStats } from "./callStats";
import { channelOptions } from "./channelOptions";
import { ClientConfig } from "./clientConfig";
import { ClientLog } from "./clientLog";
import { EchoClient, EchoResponse, loadEchoProto } from "./proto";

export interface RunningClient {
  /** Finish in-flight calls, then resolve `done`. */
  stop(): void;
  done: Promise<CallStats>;
}

const MAX_BACKOFF_MS = 2000;

function callEcho(client: EchoClient, message: string, deadlineMs: number): Promise<EchoResponse> {
  return new Promise((resolve, reject) => {
    client.echo({ message }, { deadline: Date.now() + deadlineMs }, (error, response) =>
      error || !response ? reject(error ?? new Error("empty response")) : resolve(response),
    );
  });
}

function statusName(error: unknown): string {
  const code = (error as Partial<grpc.ServiceError>).code;
  return code !== undefined && grpc.status[code] !== undefined ? grpc.status[code] : "UNKNOWN";
}

export function runEchoClient(config: ClientConfig, log: ClientLog): RunningClient {
  const { Client } = loadEchoProto();
  const client = new Client(config.target, grpc.credentials.createInsecure(), channelOptions(config));
  const stats = new CallStats(config.target, config.policy);
  const sender = os.hostname();

  let stopped = false;
  let wake: () => void = () => {};
  const stopping = new Promise<void>((resolve) => (wake = resolve));
  const stop = () => {
    stopped = true;
    wake();
  };
  /** A pause that ends early when the client is stopped. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      void stopping.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });

  let issued = 0;
  const reserveCall = () => {
    if (stopped || (config.requests !== undefined && issued >= config.requests)) return false;
    issued++;
    return true;
  };

  /** One call; resolves with whether it succeeded. `started`: when it was due (performance.now()). */
  async function call(started: number): Promise<boolean> {
    try {
      const response = await callEcho(client, `Hello #${issued} from ${sender}`, config.deadlineMs);
      const ms = performance.now() - started;
      stats.recordSuccess(response.podName || response.from, response.from, ms);
      log.response(response.podName || response.from, response.from, ms);
      return true;
    } catch (error) {
      const code = statusName(error);
      stats.recordFailure(code);
      log.failure(code, (error as Partial<grpc.ServiceError>).details ?? String(error), performance.now() - started);
      return false;
    }
  }

  async function loop(): Promise<void> {
    let backoffMs = 0;
    while (reserveCall()) {
      if (await call(performance.now())) backoffMs = 0;
      else {
        // Back off so a client facing no backend does not spin; it never gives up.
        backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(100, backoffMs * 2));
        await pause(backoffMs);
      }
      if (config.intervalMs > 0) await pause(Math.random() * config.intervalMs);
    }
  }

  /**
   * Calls start on a fixed schedule, not when earlier ones finish, and each call's
   * latency counts from when it was due: a slow server then shows as latency, as
   * it does to real traffic, instead of slowing the load down. In flight at most
   * rate x deadline.
   */
  async function openLoop(): Promise<void> {
    // The schedule starts once the channel has connected (or after one deadline): calls due
    // while it connects would otherwise all go out at once when it does.
    await new Promise<void>((resolve) => client.waitForReady(Date.now() + config.deadlineMs, () => resolve()));
    const periodMs = 1000 / config.ratePerS;
    const first = performance.now();
    const inFlight = new Set<Promise<boolean>>();
    for (let n = 0; ; n++) {
      const due = first + n * periodMs;
      if (due > performance.now()) await pause(due - performance.now());
      if (!reserveCall()) break;
      const pending = call(due).finally(() => inFlight.delete(pending));
      inFlight.add(pending);
    }
    await Promise.all(inFlight);
  }

  // Every connectivity change of the channel, so a log shows when a connection was lost
  // (READY -> IDLE: a GOAWAY, a reset, a keepalive timeout) and when one was made again.
  // An Infinity deadline sets no timer; close() ends the watch with SHUTDOWN.
  const channel = client.getChannel();
  let closing = false;
  const watch = (state: grpc.connectivityState) =>
    channel.watchConnectivityState(state, Infinity, () => {
      const next = channel.getConnectivityState(false);
      if (closing || next === grpc.connectivityState.SHUTDOWN) return;
      log.channel(grpc.connectivityState[state], grpc.connectivityState[next]);
      watch(next);
    });

  log.start(config);
  watch(channel.getConnectivityState(false));
  const ticker = config.summaryIntervalMs > 0 ? setInterval(() => log.progress(stats), config.summaryIntervalMs) : undefined;
  const loops = config.ratePerS > 0 ? [openLoop()] : Array.from({ length: config.concurrency }, loop);
  const done = Promise.all(loops).then(() => {
    if (ticker) clearInterval(ticker);
    closing = true;
    client.close();
    log.summary(stats);
    return stats;
  });
  return { stop, done };
}
