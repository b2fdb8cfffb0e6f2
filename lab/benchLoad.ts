// Runs real clients back to back (no pause between calls) at a fixed
// concurrency and measures, over a window in which every client is running:
// calls/s and latency percentiles; over the whole run: calls per backend and
// per client (each client's own final summary).
import type { Summary } from "../echo/callStats";
import { quantile, round } from "./stats";
import { Teardown } from "./teardown";
import { sleep, waitFor } from "./timing";
import { killClient, startWatchedClient } from "./watchedClient";

export interface LoadOptions {
  /** One environment per client (target, policy); load settings are added. */
  clients: Record<string, string>[];
  /** Call loops per client. */
  concurrency: number;
  windowMs: number;
  /** Keep running after the window until the clients made this many calls in all. */
  minCalls: number;
}

export interface LoadResult {
  /** Calls in flight at any time: clients x loops. */
  concurrency: number;
  windowMs: number;
  callsPerS: number;
  p50Ms: number;
  p99Ms: number;
  summaries: Summary[];
}

const WARMUP_CALLS = 20;
const START_TIMEOUT_MS = 30000;
const MAX_EXTRA_MS = 60000;

export async function measureLoad(options: LoadOptions): Promise<LoadResult> {
  const teardown = new Teardown();
  try {
    const clients = options.clients.map((env, i) => {
      const client = startWatchedClient(
        `client-${i + 1}`,
        { ...env, ECHO_INTERVAL_MS: "0", ECHO_CONCURRENCY: String(options.concurrency), ECHO_SUMMARY_INTERVAL_MS: "0" },
        { keepSamples: true },
      );
      teardown.add(() => killClient(client));
      return client;
    });
    // The window starts once every client is past its connection set-up.
    await waitFor(() => clients.every((c) => c.tally.ok >= WARMUP_CALLS), START_TIMEOUT_MS, "every client warmed up");
    const from = Date.now();
    await sleep(options.windowMs);
    const to = Date.now();
    const total = () => clients.reduce((sum, c) => sum + c.tally.ok + c.tally.failed, 0);
    await waitFor(() => total() >= options.minCalls, MAX_EXTRA_MS, `${options.minCalls} calls`);
    const summaries = await Promise.all(clients.map((c) => c.process.stop()));
    const inWindow = clients.flatMap((c) => c.tally.samplesBetween(from, to).map((s) => s.ms));
    return {
      concurrency: options.clients.length * options.concurrency,
      windowMs: to - from,
      callsPerS: round((inWindow.length * 1000) / (to - from)),
      p50Ms: quantile(inWindow, 0.5),
      p99Ms: quantile(inWindow, 0.99),
      summaries,
    };
  } finally {
    await teardown.run();
  }
}
