// `npm run demo [-- --duration SECONDS]`: every load-balancing mode side by side
// on loopback, with the real echo server and client processes (and HAProxy for
// l7; without it l7 is left out, said in one line). Halfway through, a 4th server
// is published; clientside and api clients start using it, and so does l7's proxy,
// while l4 clients stay pinned. Ends with a verdict per mode (exit 0 when all hold)
// and stops every process it started, also on Ctrl-C.
import { parseArgs } from "node:util";
import type { Summary } from "../echo/callStats";
import { ClientResult, pinnedVerdict, spreadVerdict, ModeVerdict } from "./demoVerdict";
import { ageNote, panelLines, panelStatusLines, ModePanel, Screen, viewTitle } from "./liveView";
import { LAB_ADDRESSES, type LocalCluster } from "./localCluster";
import { loopbackReady } from "./loopback";
import { clientEnv, describeMode, LAB_MODES, LAB_MODES_MISSING, LabMode, spreadsCalls, startModeCluster } from "./modes";
import { Teardown } from "./teardown";
import { isRunning, livePids } from "./processes";
import { sleep, waitFor } from "./timing";
import { killClient, startWatchedClient, WatchedClient } from "./watchedClient";

const USAGE = "usage: npm run demo [-- --duration SECONDS]   (default 20, 4 to 600)";
const SERVERS = 3;
const CLIENTS_PER_MODE = 2;
const WINDOW_MS = 2000;
/** A steady, readable call rate: 2 loops, each calling every 0-100 ms. */
const CLIENT_ENV = { ECHO_CONCURRENCY: "2", ECHO_INTERVAL_MS: "100", ECHO_SUMMARY_INTERVAL_MS: "0" };

/**
 * 5 s in the default run (the stack's 30 s would outlast the demo); at most a
 * quarter of the run, so that even a short run sees two connection ages after
 * the scale-up.
 */
function clientsideAgeMs(durationS: number): number {
  return Math.min(5000, Math.max(1000, Math.floor((durationS * 1000) / 4)));
}

function readDuration(): number {
  const { values } = parseArgs({ options: { duration: { type: "string" }, help: { type: "boolean" } } });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const duration = Number(values.duration ?? 20);
  if (!Number.isFinite(duration) || duration < 4 || duration > 600) {
    console.error(`demo: bad --duration ${values.duration}\n${USAGE}`);
    process.exit(2);
  }
  return duration;
}

interface Mode {
  mode: LabMode;
  cluster: LocalCluster;
  clients: WatchedClient[];
  panel: ModePanel;
}

async function startModes(ageMs: number, teardown: Teardown): Promise<Mode[]> {
  const started = await Promise.allSettled(LAB_MODES.map((mode) => startModeCluster(mode, SERVERS, ageMs)));
  for (const result of started) if (result.status === "fulfilled") teardown.add(() => result.value.stop());
  for (const result of started) if (result.status === "rejected") throw result.reason;
  return LAB_MODES.map((mode, i) => {
    const cluster = (started[i] as PromiseFulfilledResult<LocalCluster>).value;
    const clients = Array.from({ length: CLIENTS_PER_MODE }, (_, c) => {
      const client = startWatchedClient(`client-${c + 1}`, clientEnv(mode, cluster, CLIENT_ENV), { windowMs: WINDOW_MS });
      teardown.add(() => killClient(client));
      return client;
    });
    const panel: ModePanel = {
      mode,
      how: describeMode(mode, cluster),
      ageNote: ageNote(mode, ageMs),
      servers: cluster.servers.map((s) => s.name),
      clients,
    };
    return { mode, cluster, clients, panel };
  });
}

function verdictOf(mode: Mode, results: ClientResult[]): ModeVerdict {
  const newServer = mode.panel.newServer ?? "";
  return spreadsCalls(mode.mode) ? spreadVerdict(results, mode.panel.servers, newServer) : pinnedVerdict(results, newServer);
}

const teardown = new Teardown();

async function main(): Promise<number> {
  const durationS = readDuration();
  if (!(await loopbackReady("npm run demo", LAB_ADDRESSES))) return 2;
  const ageMs = clientsideAgeMs(durationS);
  const out = (line = "") => process.stdout.write(`${line}\n`);
  let screen: Screen | undefined;
  let ticker: NodeJS.Timeout | undefined;
  teardown.exitOnSignals((signal) => {
    clearInterval(ticker);
    screen?.close();
    out(`\n${signal}: stopping every process the demo started (PIDs ${livePids().join(" ")})`);
  });

  try {
    out(`grpc-lb demo: ${SERVERS} servers and ${CLIENTS_PER_MODE} clients per mode on loopback, ${durationS} s; Ctrl-C stops it`);
    LAB_MODES_MISSING.forEach((line) => out(line));
    const modes = await startModes(ageMs, teardown);
    const clients = modes.flatMap((m) => m.clients);
    // The 4th servers start now but are published only halfway: a process start
    // takes seconds on a busy machine and would eat into a short run.
    const spares = Promise.all(modes.map((m) => m.cluster.addServer(false)));
    spares.catch(() => {}); // awaited below; a failure must not crash the process before that
    await waitFor(() => clients.every((c) => c.tally.ok > 0), 30000, "every client answered");

    const t0 = Date.now();
    const events: string[] = [];
    const elapsed = () => (Date.now() - t0) / 1000;
    const view = () => [
      viewTitle(elapsed(), durationS, WINDOW_MS / 1000),
      "",
      ...modes.flatMap((m) => [...panelLines(m.panel), ""]),
      ...events,
    ];
    const tty = process.stdout.isTTY === true;
    if (tty) {
      screen = new Screen(process.stdout);
      ticker = setInterval(() => screen?.draw(view()), 250);
    } else {
      out(`every client started; plain lines every ${durationS >= 10 ? 2 : 1} s (calls since start per server)`);
      for (const m of modes) out(`${m.mode}: ${m.panel.how}; ${m.panel.ageNote}`);
      const report = () => modes.forEach((m) => panelStatusLines(m.panel, elapsed()).forEach((line) => out(line)));
      ticker = setInterval(report, durationS >= 10 ? 2000 : 1000);
    }

    const added = await spares;
    await sleep(Math.max(0, t0 + (durationS * 1000) / 2 - Date.now()));
    modes.forEach((m, i) => {
      m.cluster.publishServers();
      m.panel.servers.push(added[i].name);
      m.panel.newServer = added[i].name;
    });
    const event = `${elapsed().toFixed(1)} s: ${added[0].name} published in every mode, like a new pod turning ready`;
    events.push(event);
    if (!tty) out(event);

    await sleep(Math.max(0, t0 + durationS * 1000 - Date.now()));
    clearInterval(ticker);
    if (screen) {
      screen.draw(view());
      screen.close();
    } else {
      out("\nfinal view:");
      view().forEach((line) => out(line));
    }

    // Graceful stop: each client prints its own final summary, the verdict's source.
    const summaries = await Promise.allSettled(clients.map((c) => c.process.stop()));
    const summaryOf = (c: WatchedClient) => {
      const result = summaries[clients.indexOf(c)];
      return result.status === "fulfilled" ? (result.value as Summary) : undefined;
    };
    let holds = true;
    out("verdict:");
    for (const m of modes) {
      const verdict = verdictOf(m, m.clients.map((c) => ({ name: c.name, summary: summaryOf(c) })));
      holds &&= verdict.holds;
      out(`  ${m.mode.padEnd(10)} ${verdict.holds ? "PASS" : "FAIL"}  ${verdict.text}`);
    }
    const pids = [
      ...modes.flatMap((m) => [...m.cluster.servers.map((s) => s.pid), ...(m.cluster.haproxy ? [m.cluster.haproxy.pid] : [])]),
      ...clients.map((c) => c.process.pid),
    ];
    await teardown.run();
    const left = pids.filter(isRunning);
    out(`stopped ${pids.length} processes (PIDs ${pids.join(" ")}); ${left.length ? `still running: ${left.join(" ")}` : "nothing left running"}`);
    return holds && left.length === 0 ? 0 : 1;
  } catch (error) {
    clearInterval(ticker);
    screen?.close();
    await teardown.run();
    // After Ctrl-C, failures of what was being killed are expected, not news.
    if (!teardown.interrupted) console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

void main().then((code) => teardown.exit(code));
