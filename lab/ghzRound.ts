// One round of ghz (the Go gRPC load generator, built by scripts/tools/ghz.sh)
// against one echo server: Echo calls from proto/echo.proto at a fixed
// concurrency, for a fixed time, rate-limited or not; read from its JSON report.
import { PROTO_PATH } from "../echo/proto";
import { startTracked } from "./processes";
import { orTimeout } from "./timing";

export const ECHO_METHOD = "com.example.grpc.EchoService/echo";

export interface GhzSettings {
  /** The ghz binary. */
  ghz: string;
  /** host:port, loopback. */
  target: string;
  seconds: number;
  /** Calls per second offered (ghz --rps); 0 = as fast as the server answers. */
  rps: number;
  /** Calls in flight at once (ghz -c, its worker count). */
  concurrency: number;
  /** HTTP/2 connections the workers share (ghz --connections). */
  connections: number;
  /** A command ghz runs under, e.g. ["taskset", "-c", "1"]. */
  prefix?: string[];
}

export interface GhzRound {
  /** Calls answered OK per second of the round. */
  okPerS: number;
  /** Latency of the OK calls, ms. */
  p50Ms: number;
  p99Ms: number;
  /** Calls by status code ("OK", "Unavailable", ...). */
  statusCodes: Record<string, number>;
}

/** What ghz's `--format json` report holds that we read (durations in ns). */
interface GhzReport {
  count: number;
  total: number;
  statusCodeDistribution?: Record<string, number>;
  latencyDistribution?: { percentage: number; latency: number }[] | null;
}

export function ghzArgs(settings: GhzSettings): string[] {
  return [
    "--insecure",
    "--proto",
    PROTO_PATH,
    "--call",
    ECHO_METHOD,
    "-d",
    JSON.stringify({ message: "hello" }),
    "-c",
    String(settings.concurrency),
    "--connections",
    String(settings.connections),
    "--rps",
    String(settings.rps),
    "-z",
    `${settings.seconds}s`,
    // Calls still in flight when the time is up are left out, not counted as failed.
    "--duration-stop",
    "ignore",
    "-t",
    "10s",
    "--format",
    "json",
    settings.target,
  ];
}

const ns = (value: number) => value / 1e6;

export function parseGhzReport(json: string): GhzRound {
  const report = JSON.parse(json) as GhzReport;
  const statusCodes = report.statusCodeDistribution ?? {};
  const seconds = report.total / 1e9;
  const latency = (percentage: number) => report.latencyDistribution?.find((l) => l.percentage === percentage)?.latency;
  const p50 = latency(50);
  const p99 = latency(99);
  if (!(seconds > 0) || p50 === undefined || p99 === undefined) {
    throw new Error(`ghz report without a duration or latencies: count ${report.count}, status codes ${JSON.stringify(statusCodes)}`);
  }
  return { okPerS: (statusCodes.OK ?? 0) / seconds, p50Ms: ns(p50), p99Ms: ns(p99), statusCodes };
}

/** Runs ghz once (bounded: its duration plus 30 s, then SIGKILL) and reads its report. */
export async function ghzRound(settings: GhzSettings): Promise<GhzRound> {
  const command = [...(settings.prefix ?? []), settings.ghz, ...ghzArgs(settings)];
  const stdout: string[] = [];
  const run = startTracked(command[0], command.slice(1), { HOME: process.env.HOME ?? "" }, (line) => stdout.push(line));
  const limitMs = settings.seconds * 1000 + 30_000;
  const code = await orTimeout(run.exited, limitMs);
  if (code === "timeout") {
    run.kill("SIGKILL");
    await run.exited;
    throw new Error(`ghz against ${settings.target} did not end within ${limitMs / 1000} s`);
  }
  if (code !== 0) throw new Error(`ghz against ${settings.target} exited with ${code}: ${run.stderr.slice(-3).join(" | ")}`);
  return parseGhzReport(stdout.join("\n"));
}
