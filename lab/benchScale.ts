// `npm run bench -- --scale`: every mode from a few to 150 servers, the capacity
// each mode delivers of a fleet with a known capacity, a discovery timeline, and
// (see benchPeers) our server against the original grpc-java one. One bounded run;
// the report is what `npm run charts` draws.
import { measureCapacity, type CapacitySettings } from "./capacitySweep";
import { measureTimeline, type TimelineSettings } from "./discoveryTimeline";
import { measurePeers, type PeerBenchOptions } from "./benchPeers";
import { measureDnsAnswers } from "./dnsFigures";
import { machine } from "./machine";
import { LAB_MODES, modesSharingServers, STACK_MAX_CONNECTION_AGE_MS, startSharedCluster } from "./modes";
import type { ScalePoint, ScaleReport } from "./scaleReport";
import { measureScalePoint, type ScalePointSettings } from "./scalePoint";

export interface ScalePlan {
  servers: number[];
  /** A records to measure DNS answers at: records only, no servers, so it can go far past the fleets. */
  dnsRecords: number[];
  point: ScalePointSettings;
  capacity: CapacitySettings;
  timeline: TimelineSettings;
  /** Our server against grpc-java under ghz; a string says why the plan leaves it out. */
  peers: PeerBenchOptions | string;
}

export const SCALE: ScalePlan = {
  servers: [3, 10, 30, 100, 150],
  dnsRecords: [3, 10, 28, 29, 30, 100, 150, 1000, 4000, 5000],
  // 10 clients at 80 calls/s: 800 calls/s, well within what the machine's clients can send.
  point: { clients: 10, ratePerClient: 80, callsPerServer: 100, minWindowMs: 4000, newClientBoundMs: 30000 },
  // 10 servers x 2 workers / 50 ms: 400 calls/s, a quarter of what the client processes manage here.
  capacity: {
    servers: 10,
    clients: 10,
    serviceTimeMs: 50,
    maxConcurrentCalls: 2,
    loads: [0.25, 0.5, 0.75, 0.9, 1, 1.1],
    warmupMs: 3000,
    windowMs: 5000,
    deadlineMs: 2000,
    seed: 1,
  },
  // One connection age and 10 s more, so clientside's reconnects are seen.
  timeline: {
    servers: 4,
    clients: 2,
    ratePerClient: 50,
    ageMs: STACK_MAX_CONNECTION_AGE_MS,
    observeMs: STACK_MAX_CONNECTION_AGE_MS + 10000,
    binMs: 1000,
  },
  peers: { rounds: 5, seconds: 8 },
};

/** The same on less, for tests: every figure, small fleets, short windows, a 1 s connection age. */
export const SCALE_QUICK: ScalePlan = {
  servers: [3, 12],
  dnsRecords: [3, 30],
  point: { clients: 3, ratePerClient: 50, callsPerServer: 10, minWindowMs: 1500, newClientBoundMs: 3000 },
  capacity: {
    servers: 3,
    clients: 3,
    serviceTimeMs: 50,
    maxConcurrentCalls: 1,
    loads: [0.5, 1.2],
    warmupMs: 1000,
    windowMs: 1500,
    deadlineMs: 1000,
    seed: 1,
  },
  timeline: { servers: 3, clients: 1, ratePerClient: 50, ageMs: 1000, observeMs: 3500, binMs: 500 },
  peers: "the quick plan leaves it out: npm run bench:peers measures it alone",
};

async function scalePoints(plan: ScalePlan, progress: (line: string) => void): Promise<ScalePoint[]> {
  const points: ScalePoint[] = [];
  for (const servers of plan.servers) {
    for (const modes of modesSharingServers()) {
      progress(`${servers} servers: starting a fleet for ${modes.join(", ")}`);
      const cluster = await startSharedCluster(modes, servers, STACK_MAX_CONNECTION_AGE_MS);
      try {
        for (const mode of modes) {
          progress(`${servers} servers: ${mode}, ${plan.point.clients} clients at ${plan.point.ratePerClient} calls/s each`);
          points.push(await measureScalePoint(mode, cluster, plan.point));
        }
      } finally {
        await cluster.stop();
      }
    }
  }
  // In the mode table's order within each scale, whatever order the fleets ran in.
  return points.sort((a, b) => a.servers - b.servers || LAB_MODES.indexOf(a.mode) - LAB_MODES.indexOf(b.mode));
}

export async function runScale(plan: ScalePlan, progress: (line: string) => void): Promise<ScaleReport> {
  const started = Date.now();
  const before = machine();
  progress(`DNS answers for ${plan.dnsRecords.join(", ")} A records`);
  const dns = await measureDnsAnswers(plan.dnsRecords);
  const scale = await scalePoints(plan, progress);
  progress(`capacity: ${plan.capacity.servers} servers, ${plan.capacity.loads.length} loads per mode`);
  const capacity = await measureCapacity(plan.capacity, progress);
  progress(`discovery timeline: every mode side by side (${plan.timeline.observeMs} ms)`);
  const discovery = await Promise.all(LAB_MODES.map((mode) => measureTimeline(mode, plan.timeline)));
  let peers: Pick<ScaleReport, "peers" | "peersSkipped"> = { peersSkipped: typeof plan.peers === "string" ? plan.peers : undefined };
  if (typeof plan.peers !== "string") {
    progress("our server against grpc-java under ghz (builds ghz and the Java peer the first time)");
    const result = await measurePeers({ ...plan.peers, log: (line) => progress(`peers: ${line}`) });
    peers = "skipped" in result ? { peersSkipped: result.skipped } : { peers: result };
  }
  return {
    kind: "grpc-lb scale bench",
    startedAt: new Date(started).toISOString(),
    elapsedS: Math.round((Date.now() - started) / 1000),
    machine: { ...before, loadAverage1mAtEnd: machine().loadAverage1m },
    settings: { ...plan, stackMaxConnectionAgeMs: STACK_MAX_CONNECTION_AGE_MS },
    scale,
    dns,
    capacity,
    discovery,
    ...peers,
  };
}
