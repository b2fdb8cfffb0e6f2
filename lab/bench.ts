// `npm run bench [-- --quick] [-- --out FILE]`: measures every mode on loopback
// with the real server and client processes (and HAProxy for l7, which is left out
// with a one-line hint where haproxy is missing), and the proxy's hop against
// clientside, in one bounded run (a few minutes; --quick: reduced, for tests).
// Writes the JSON report to stdout and to a file
// (default bench-report.json), and a human-readable summary with the targets
// to stderr. Exit 0 when the run completed, whether or not targets were met.
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { measureDiscovery } from "./benchDiscovery";
import { hopMissing, HopSettings, measureHop } from "./benchHop";
import { ChaosResult, ChaosSettings, Fault, FAULTS, measureChaos } from "./chaos";
import { measureMode, ModeLoadSettings } from "./benchMode";
import { measureOverhead, OverheadSettings } from "./benchOverhead";
import { BenchReport, discoveryTargetMs, humanSummary, ModeFigures, targets } from "./benchReport";
import { measureRollingRestart, RolloutSettings } from "./benchRollout";
import { JAVA_HOST, OURS_HOST } from "./benchPeers";
import { runScale, SCALE, SCALE_QUICK } from "./benchScale";
import { scaleSummary } from "./scaleSummary";
import { machine } from "./machine";
import { LAB_ADDRESSES, labAddresses } from "./localCluster";
import { loopbackReady } from "./loopback";
import { LAB_MODES, LAB_MODES_MISSING, LabMode, maxConnectionAgeMs, STACK_MAX_CONNECTION_AGE_MS } from "./modes";
import { STACK_PROBE } from "./readinessProber";
import { CLIENT_KEEPALIVE } from "../echo/keepalive";
import { Teardown } from "./teardown";

interface Plan {
  load: ModeLoadSettings;
  overhead: OverheadSettings;
  /** Max connection ages to time discovery at, for modes whose servers age connections out: the stack's value, then a short one. */
  discoveryAgesMs: number[];
  rollout: RolloutSettings;
  /** Run the retries-on and retries-off restarts side by side too (saves time; adds contention). */
  parallelRollouts: boolean;
  /** A server frozen or killed under load, per mode; every mode side by side. */
  chaos: ChaosSettings;
  /** The proxy's hop: its mode and the direct one on one fleet with a simulated cost, at the same offered loads. */
  hop: HopSettings;
}

/** Watch after a fault: the keepalive bound (the probes take the server out within it), then 5 s to see every call succeed. */
function chaosObserveMs(keepaliveTimeMs: number, keepaliveTimeoutMs: number): number {
  return keepaliveTimeMs + keepaliveTimeoutMs + 5000;
}

const FULL: Plan = {
  load: { servers: 3, clients: 4, concurrency: 4, windowMs: 5000, minCalls: 3000 },
  overhead: { rounds: 5, concurrency: 16, windowMs: 1500, minCalls: 0 },
  discoveryAgesMs: [STACK_MAX_CONNECTION_AGE_MS, 1000],
  rollout: { servers: 3, clients: 2 },
  parallelRollouts: false,
  // The stack's keepalive and readiness probe, so the figures are what a cluster sees.
  chaos: {
    servers: 3,
    clients: 2,
    keepaliveTimeMs: CLIENT_KEEPALIVE.timeMs,
    keepaliveTimeoutMs: CLIENT_KEEPALIVE.timeoutMs,
    probe: STACK_PROBE,
    observeMs: chaosObserveMs(CLIENT_KEEPALIVE.timeMs, CLIENT_KEEPALIVE.timeoutMs),
  },
  // 3 servers x 2 workers / 10 ms: 600 calls/s, well within what the clients and the proxy manage here.
  hop: {
    servers: 3,
    clients: 4,
    serviceTimeMs: 10,
    maxConcurrentCalls: 2,
    loads: [0.25, 0.5, 0.75, 0.9, 1.2],
    warmupMs: 2000,
    windowMs: 4000,
    deadlineMs: 1000,
    seed: 1,
  },
};

/** Every figure, on less: short windows, fewer calls, a 2 s age standing in for the stack's 30 s. */
const QUICK: Plan = {
  load: { servers: 3, clients: 2, concurrency: 4, windowMs: 1000, minCalls: 300 },
  overhead: { rounds: 1, concurrency: 8, windowMs: 1000, minCalls: 0 },
  discoveryAgesMs: [2000, 1000],
  rollout: { servers: 2, clients: 1 },
  parallelRollouts: true,
  // Keepalive and probes scaled down 10x.
  chaos: {
    servers: 3,
    clients: 2,
    keepaliveTimeMs: 1000,
    keepaliveTimeoutMs: 500,
    probe: { periodMs: 500, timeoutMs: 200, failureThreshold: 2 },
    observeMs: chaosObserveMs(1000, 500),
  },
  hop: {
    servers: 3,
    clients: 2,
    serviceTimeMs: 10,
    maxConcurrentCalls: 2,
    loads: [0.5, 1.2],
    warmupMs: 500,
    windowMs: 1000,
    deadlineMs: 1000,
    seed: 1,
  },
};

const log = (line: string) => process.stderr.write(`${line}\n`);
const benchStarted = Date.now();
const progress = (line: string) => log(`bench [${((Date.now() - benchStarted) / 1000).toFixed(0).padStart(3)} s] ${line}`);

async function modeFigures(mode: LabMode, plan: Plan): Promise<Omit<ModeFigures, "rollingRestart">> {
  progress(`${mode}: fairness, stickiness, throughput (${plan.load.clients} clients x ${plan.load.concurrency} loops)`);
  return measureMode(mode, plan.load);
}

async function rollingRestarts(mode: LabMode, plan: Plan): Promise<ModeFigures["rollingRestart"]> {
  progress(`${mode}: rolling restart of ${plan.rollout.servers} servers, retries on and off`);
  if (plan.parallelRollouts) {
    const [withRetries, withoutRetries] = await Promise.all([3, 0].map((r) => measureRollingRestart(mode, r, plan.rollout)));
    return { withRetries, withoutRetries };
  }
  const withRetries = await measureRollingRestart(mode, 3, plan.rollout);
  const withoutRetries = await measureRollingRestart(mode, 0, plan.rollout);
  return { withRetries, withoutRetries };
}

async function chaos(plan: Plan): Promise<ChaosResult[]> {
  const results: ChaosResult[] = [];
  for (const fault of FAULTS as readonly Fault[]) {
    progress(`${fault} one of ${plan.chaos.servers} servers under load, every mode side by side (${plan.chaos.observeMs} ms)`);
    results.push(...(await Promise.all(LAB_MODES.map((mode) => measureChaos(mode, fault, plan.chaos)))));
  }
  return results;
}

/** Each mode once; a mode whose servers age connections out once per age in the plan. */
function discoveryRuns(plan: Plan): [LabMode, number][] {
  return LAB_MODES.flatMap((mode): [LabMode, number][] =>
    maxConnectionAgeMs(mode, STACK_MAX_CONNECTION_AGE_MS) > 0 ? plan.discoveryAgesMs.map((age): [LabMode, number] => [mode, age]) : [[mode, 0]],
  );
}

async function run(quick: boolean): Promise<BenchReport> {
  const plan = quick ? QUICK : FULL;
  const started = Date.now();
  const before = machine();

  // Throughput figures first, one mode at a time, with nothing else of ours running.
  const load: Partial<Record<LabMode, Omit<ModeFigures, "rollingRestart">>> = {};
  for (const mode of LAB_MODES) load[mode] = await modeFigures(mode, plan);
  progress(`server overhead, ${plan.overhead.rounds} round(s) each against our server and a bare grpc-js one`);
  const serverOverhead = await measureOverhead(plan.overhead);
  const hopSkipped = hopMissing();
  progress(hopSkipped ? `hop cost: not measured: ${hopSkipped}` : `hop cost: ${plan.hop.loads.length} offered loads, direct and through the proxy`);
  const hop = hopSkipped ? undefined : await measureHop(plan.hop, (line) => progress(`hop cost: ${line}`));

  // The long discovery waits (one connection age) overlap the other timing-insensitive phases.
  const runs = discoveryRuns(plan);
  progress(`discovery and unpublishing: ${runs.map(([mode, age]) => `${mode}${maxConnectionAgeMs(mode, age) ? ` (age ${age} ms)` : ""}`).join(", ")} (in the background)`);
  const discoveries = runs.map(([mode, age]) => measureDiscovery(mode, age, plan.load.servers));
  for (const d of discoveries) d.catch(() => undefined); // awaited below; must not crash the process before
  // The modes' rolling restarts run side by side: they count failed calls, not time.
  const restarts = await Promise.all(LAB_MODES.map((mode) => rollingRestarts(mode, plan)));
  const faults = await chaos(plan);
  const discovery = (await Promise.all(discoveries)).map((d) => ({ ...d, targetMs: discoveryTargetMs(d) }));

  const report: Omit<BenchReport, "targets"> = {
    quick,
    startedAt: new Date(started).toISOString(),
    elapsedS: Math.round((Date.now() - started) / 1000),
    machine: { ...before, loadAverage1mAtEnd: machine().loadAverage1m },
    settings: { ...plan, stackMaxConnectionAgeMs: STACK_MAX_CONNECTION_AGE_MS },
    modes: Object.fromEntries(LAB_MODES.map((mode, i) => [mode, { ...load[mode]!, rollingRestart: restarts[i] }])) as Record<LabMode, ModeFigures>,
    discovery,
    chaos: faults,
    serverOverhead,
    ...(hop ? { hop } : { hopSkipped }),
  };
  return { ...report, targets: targets(report, plan.load.minCalls) };
}

const teardown = new Teardown();

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { quick: { type: "boolean" }, scale: { type: "boolean" }, out: { type: "string" }, help: { type: "boolean" } },
  });
  if (values.help) {
    console.log("usage: npm run bench [-- --quick] [-- --scale] [-- --out FILE]");
    console.log("  default FILE: bench-report.json, with --scale bench-scale-report.json (what `npm run charts` draws)");
    return 0;
  }
  const scalePlan = values.quick ? SCALE_QUICK : SCALE;
  const peers = typeof scalePlan.peers === "string" ? [] : [OURS_HOST, JAVA_HOST];
  const addresses = values.scale ? [...labAddresses(Math.max(LAB_ADDRESSES.length - 1, ...scalePlan.servers)), ...peers] : LAB_ADDRESSES;
  if (!(await loopbackReady("npm run bench", addresses))) return 2;
  LAB_MODES_MISSING.forEach(log);
  // Ctrl-C: every child process is killed by PID and reaped, then exit 130.
  teardown.exitOnSignals((signal) => progress(`${signal}, stopping`));
  const file = values.out ?? (values.scale ? "bench-scale-report.json" : "bench-report.json");
  const out = path.resolve(file);
  try {
    const report = values.scale ? await runScale(scalePlan, progress) : await run(values.quick === true);
    const json = JSON.stringify(report, null, 2);
    writeFileSync(out, `${json}\n`);
    ("targets" in report ? humanSummary(report) : scaleSummary(report)).forEach(log);
    progress(`report written to ${file}`);
    process.stdout.write(`${json}\n`);
    return 0;
  } catch (error) {
    if (!teardown.interrupted) log(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

void main().then((code) => teardown.exit(code));
