// Our echo server against the grpc-java EchoServer (test/interop/java) in one
// run: the same ghz load on each, in alternating rounds (a shared machine's
// drift hits both alike; only ratios from one run mean anything), each server
// on its own loopback address, pinned to one CPU and ghz to another when
// taskset works. Also: spawn to first answered call, and resident memory.
//
//   node dist/lab/benchPeers.js [--rounds N] [--seconds S] [--offered N] ...
//
// Missing tools (no Go for ghz, no JDK or Maven for the peer) give
// { skipped: "<why>" } instead of figures, so a bigger benchmark can go on.
import { spawnSync } from "node:child_process";
import * as os from "node:os";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { msToFirstCall } from "./firstCall";
import { ghzRound, GhzRound } from "./ghzRound";
import { JavaServer, startJavaServer } from "./javaServer";
import { loopbackReady, requireLoopback } from "./loopback";
import { freePort, startServer } from "./processes";
import { rssMiB } from "./processStats";
import type { PeerComparison, PeerFigures } from "./scaleReport";
import { quantile, round } from "./stats";
import { Teardown } from "./teardown";
import { runToolScript } from "./toolScript";

export interface PeerBenchOptions {
  /** Measured rounds per server, at the offered load; default 5. */
  rounds?: number;
  /** Length of every ghz round (warm-up, unthrottled and measured), s; default 8. */
  seconds?: number;
  /** Unthrottled rounds per server before anything is measured (the JVM compiles its hot code); default 1. */
  warmupRounds?: number;
  /** Calls/s offered in the measured rounds; default: `loadShare` of the lower unthrottled figure. */
  offeredPerS?: number;
  /** Share of the lower server's unthrottled calls/s to offer when `offeredPerS` is not given; default 0.7. */
  loadShare?: number;
  /** Calls in flight (ghz -c); default 16. */
  concurrency?: number;
  /** HTTP/2 connections they share (ghz --connections); default 4. */
  connections?: number;
  /** Pin the servers to one CPU and ghz to another (taskset), when there are two and taskset works; default true. */
  pin?: boolean;
  /** JVM flags for the Java server; default none (the JVM's defaults). */
  jvmOptions?: string[];
  /** A ghz binary to use instead of building one with scripts/tools/ghz.sh. */
  ghz?: string;
  /** The Java peer's classpath, instead of building it with scripts/tools/java-peer.sh. */
  javaClasspath?: string;
  /** Progress lines. */
  log?: (line: string) => void;
}

export type PeerResult = PeerComparison | { skipped: string };

/** Outside the lab's cluster addresses (127.0.0.9-240). */
export const OURS_HOST = "127.0.0.251";
export const JAVA_HOST = "127.0.0.252";
const GHZ_BUILD_MS = 15 * 60_000;
const JAVA_BUILD_MS = 10 * 60_000;
const FIRST_CALL_MS = 60_000;
/** A measured round that answers less than this share of the offered load was saturated. */
const KEPT_UP = 0.95;

type Side = "ours" | "java";

function residentMiB(pid: number): number {
  const mib = rssMiB([pid]).get(pid);
  if (mib === undefined) throw new Error(`no resident memory for PID ${pid}: it exited`);
  return mib;
}

interface Pinning {
  server: string[];
  ghz: string[];
  note: string;
}

/** taskset -c 0 for the servers and -c 1 for ghz, if both CPUs may be used here. */
function pinning(wanted: boolean): Pinning {
  const none = (why: string): Pinning => ({ server: [], ghz: [], note: `not pinned (${why})` });
  if (!wanted) return none("asked not to");
  if (os.availableParallelism() < 2) return none("fewer than 2 CPUs");
  for (const cpu of ["0", "1"]) {
    const probe = spawnSync("taskset", ["-c", cpu, "true"], { timeout: 5000 });
    if (probe.error || probe.status !== 0) return none(`taskset -c ${cpu} does not work here`);
  }
  return { server: ["taskset", "-c", "0"], ghz: ["taskset", "-c", "1"], note: "servers pinned to CPU 0, ghz to CPU 1 (taskset)" };
}

function median(values: number[]): number {
  return quantile(values, 0.5);
}

function ratio(ours: number, java: number): number {
  return java > 0 ? round(ours / java, 3) : Number.NaN;
}

function describe(r: GhzRound): string {
  const failed = Object.entries(r.statusCodes).filter(([code]) => code !== "OK");
  const failures = failed.length ? `, not OK: ${JSON.stringify(Object.fromEntries(failed))}` : "";
  return `${Math.round(r.okPerS)} calls/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms${failures}`;
}

export async function measurePeers(options: PeerBenchOptions = {}): Promise<PeerResult> {
  const rounds = options.rounds ?? 5;
  const seconds = options.seconds ?? 8;
  const warmupRounds = options.warmupRounds ?? 1;
  const concurrency = options.concurrency ?? 16;
  const connections = options.connections ?? 4;
  const log = options.log ?? (() => {});
  if (!(rounds >= 1 && seconds >= 1 && warmupRounds >= 0)) throw new Error("measurePeers: rounds and seconds must be >= 1");

  await requireLoopback([OURS_HOST, JAVA_HOST]);

  // The tools first: without them there is nothing to measure, and that is a skip.
  const ghzBuilt = options.ghz ? { ok: true as const, output: options.ghz } : await runToolScript("ghz.sh", GHZ_BUILD_MS, log);
  if (!ghzBuilt.ok) return { skipped: `ghz could not be built: ${ghzBuilt.reason}` };
  const ghz = ghzBuilt.output;
  const javaBuilt = options.javaClasspath
    ? { ok: true as const, output: options.javaClasspath }
    : await runToolScript("java-peer.sh", JAVA_BUILD_MS, log);
  if (!javaBuilt.ok) return { skipped: `the grpc-java peer could not be built: ${javaBuilt.reason}` };
  const classpath = javaBuilt.output;

  const pin = pinning(options.pin ?? true);
  log(pin.note);
  const teardown = new Teardown();
  try {
    // --- start each server alone and time it from spawn to first answered call ---
    const oursPort = await freePort([OURS_HOST]);
    let oursGone = false;
    const oursSpawned = performance.now();
    const oursStarting = startServer({ name: "ours", host: OURS_HOST, port: oursPort, env: { LOG_REQUESTS: "false" }, prefix: pin.server });
    oursStarting.catch(() => (oursGone = true));
    const [oursStart, oursFirst] = await Promise.allSettled([
      oursStarting,
      msToFirstCall(`${OURS_HOST}:${oursPort}`, { spawnedAt: oursSpawned, timeoutMs: FIRST_CALL_MS, gaveUp: () => oursGone }),
    ]);
    if (oursStart.status === "rejected") throw oursStart.reason; // startServer killed it
    const ours = oursStart.value;
    teardown.add(() => ours.stop("SIGKILL", 3000));
    if (oursFirst.status === "rejected") throw oursFirst.reason;

    const javaPort = await freePort([JAVA_HOST]);
    const javaSpawned = performance.now();
    const java: JavaServer = startJavaServer({ classpath, host: JAVA_HOST, port: javaPort, jvmOptions: options.jvmOptions, prefix: pin.server });
    teardown.add(() => java.stop(3000));
    let javaGone = false;
    void java.exited.then(() => (javaGone = true));
    const javaFirstMs = await msToFirstCall(`${JAVA_HOST}:${javaPort}`, {
      spawnedAt: javaSpawned,
      timeoutMs: FIRST_CALL_MS,
      gaveUp: () => javaGone,
    }).catch((error: Error) => {
      throw new Error(`${error.message}; java said: ${java.stderr.slice(-3).join(" | ") || "(nothing)"}`);
    });
    const startMs: Record<Side, number> = { ours: oursFirst.value, java: javaFirstMs };
    log(`spawn to first answered call: ours ${startMs.ours.toFixed(0)} ms, java ${startMs.java.toFixed(0)} ms`);

    const targets: Record<Side, string> = { ours: `${OURS_HOST}:${oursPort}`, java: `${JAVA_HOST}:${javaPort}` };
    const alive = (side: Side) => {
      const child = side === "ours" ? ours.child : java.child;
      if (child.exitCode !== null || child.signalCode !== null) {
        const said = (side === "ours" ? ours.stderr : java.stderr).slice(-3).join(" | ");
        throw new Error(`the ${side} server exited (${child.exitCode ?? child.signalCode}) during the run: ${said || "(nothing)"}`);
      }
    };
    const load = async (side: Side, rps: number, what: string): Promise<GhzRound> => {
      alive(side);
      const result = await ghzRound({ ghz, target: targets[side], seconds, rps, concurrency, connections, prefix: pin.ghz });
      alive(side);
      log(`${what} ${side}: ${describe(result)}`);
      return result;
    };
    // Alternate which server goes first, so a trend in the machine's load evens out.
    const order = (i: number): Side[] => (i % 2 === 0 ? ["ours", "java"] : ["java", "ours"]);

    // --- warm-up, then each server's unthrottled figure ---
    for (let i = 0; i < warmupRounds; i++) for (const side of order(i)) await load(side, 0, `warm-up ${i + 1}/${warmupRounds}, unthrottled,`);
    const maxPerS = {} as Record<Side, number>;
    for (const side of order(warmupRounds)) maxPerS[side] = (await load(side, 0, "unthrottled")).okPerS;
    log(`unthrottled: ours ${Math.round(maxPerS.ours)} calls/s, java ${Math.round(maxPerS.java)} calls/s`);
    const share = options.loadShare ?? 0.7;
    const offered = options.offeredPerS ?? Math.max(100, Math.round((share * Math.min(maxPerS.ours, maxPerS.java)) / 100) * 100);
    log(
      options.offeredPerS
        ? `offered load: ${offered} calls/s (given)`
        : `offered load: ${offered} calls/s (${share} of the lower unthrottled figure)`,
    );

    // --- the measured rounds: the same offered load on each ---
    const figures: Record<Side, { callsPerS: number[]; p99Ms: number[] }> = {
      ours: { callsPerS: [], p99Ms: [] },
      java: { callsPerS: [], p99Ms: [] },
    };
    for (let i = 0; i < rounds; i++) {
      for (const side of order(i)) {
        const result = await load(side, offered, `round ${i + 1}/${rounds} at ${offered}/s,`);
        if (result.okPerS < KEPT_UP * offered) {
          log(`round ${i + 1}: ${side} answered ${Math.round(result.okPerS)} of ${offered} offered calls/s: saturated (server or ghz)`);
        }
        figures[side].callsPerS.push(round(result.okPerS, 1));
        figures[side].p99Ms.push(round(result.p99Ms, 2));
      }
    }

    // --- memory once the rounds are over, then the result ---
    const peer = (side: Side): PeerFigures => ({
      unthrottledCallsPerS: round(maxPerS[side], 1),
      callsPerS: figures[side].callsPerS,
      p99Ms: figures[side].p99Ms,
      rssMiB: residentMiB(side === "ours" ? ours.pid : java.pid),
      startToServingMs: round(startMs[side], 1),
    });
    const o = peer("ours");
    const j = peer("java");
    const ghzVersion = /ghz-(v[\d.]+)\//.exec(ghz)?.[1] ?? "(version unknown)";
    return {
      tool:
        `ghz ${ghzVersion}, -c ${concurrency} --connections ${connections}, ${seconds} s rounds alternating servers ` +
        `after ${warmupRounds} unthrottled warm-up round(s) each; ${pin.note}; ` +
        `our server with LOG_REQUESTS=false; Java: grpc-java EchoServer, request logging off, ` +
        `${options.jvmOptions?.length ? `JVM flags ${options.jvmOptions.join(" ")}` : "JVM defaults"}`,
      offeredPerS: offered,
      rounds,
      ours: o,
      java: j,
      ratios: {
        unthrottledCallsPerS: ratio(o.unthrottledCallsPerS, j.unthrottledCallsPerS),
        callsPerS: ratio(median(o.callsPerS), median(j.callsPerS)),
        p99: ratio(median(o.p99Ms), median(j.p99Ms)),
        rss: ratio(o.rssMiB, j.rssMiB),
        startToServing: ratio(o.startToServingMs, j.startToServingMs),
      },
    };
  } finally {
    await teardown.run(10_000);
  }
}

// ------------------------------------------------------------------- CLI ---

const USAGE = `usage: node dist/lab/benchPeers.js [--rounds N] [--seconds S] [--warmup-rounds N]
       [--offered CALLS_PER_S] [--load-share 0.7] [--concurrency 16] [--connections 4] [--no-pin]
Prints the comparison as JSON on stdout (or {"skipped": "..."}), progress on stderr.`;

async function main(teardown: Teardown): Promise<number> {
  const { values } = parseArgs({
    options: {
      rounds: { type: "string" },
      seconds: { type: "string" },
      "warmup-rounds": { type: "string" },
      offered: { type: "string" },
      "load-share": { type: "string" },
      concurrency: { type: "string" },
      connections: { type: "string" },
      "no-pin": { type: "boolean" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  /** A positive number; a whole one unless `fraction`. */
  const number = (name: keyof typeof values, fraction = false): number | undefined => {
    const text = values[name];
    if (typeof text !== "string") return undefined;
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0 || (!fraction && !Number.isInteger(value))) {
      throw new Error(`--${name} must be a positive ${fraction ? "number" : "whole number"}, got "${text}"`);
    }
    return value;
  };
  if (!(await loopbackReady("benchPeers", [OURS_HOST, JAVA_HOST]))) return 2;
  teardown.exitOnSignals((signal) => process.stderr.write(`${signal}, stopping\n`));
  const started = Date.now();
  const log = (line: string) => process.stderr.write(`bench-peers [${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}\n`);
  try {
    const result = await measurePeers({
      rounds: number("rounds"),
      seconds: number("seconds"),
      warmupRounds: values["warmup-rounds"] === "0" ? 0 : number("warmup-rounds"),
      offeredPerS: number("offered"),
      loadShare: number("load-share", true),
      concurrency: number("concurrency"),
      connections: number("connections"),
      pin: values["no-pin"] !== true,
      log,
    });
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (error) {
    if (!teardown.interrupted) log(`failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

if (require.main === module) {
  const teardown = new Teardown();
  void main(teardown).then((code) => teardown.exit(code));
}
