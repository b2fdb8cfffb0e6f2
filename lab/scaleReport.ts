// The scale benchmark's report (`npm run bench -- --scale`): how every mode behaves
// from a few to 100+ servers, how much of a fleet's capacity each mode delivers, how
// fast a new server is found, and our server against the original grpc-java one.
// The charts (`npm run charts`) are drawn from this and nothing else.
import type { Machine } from "./machine";
import type { LabMode } from "./modes";
import type { Spread } from "./stats";

export interface ScaleReport {
  kind: "grpc-lb scale bench";
  startedAt: string;
  elapsedS: number;
  machine: Machine & { loadAverage1mAtEnd: number };
  settings: Record<string, unknown>;
  /** One point per mode and number of servers. */
  scale: ScalePoint[];
  /** What the lab's DNS server answered for each number of servers, and what grpc-js made of it. */
  dns: DnsAnswer[];
  capacity: CapacitySweep;
  /** Per mode: the share of calls a newly published server gets, over time. */
  discovery: DiscoveryTimeline[];
  /** Absent when the run was told to skip it, or its tools were missing (see `peersSkipped`). */
  peers?: PeerComparison;
  peersSkipped?: string;
}

export interface ScalePoint {
  mode: LabMode;
  servers: number;
  clients: number;
  /** From starting the clients until each was answered by every server its policy uses (pick_first: 1); null = not within 60 s. */
  clientsReadyMs: number | null;
  /** Calls each server answered in the window, all clients together, in server order. */
  callsPerServer: number[];
  spread: Spread;
  /** Distinct servers each client's calls reached. */
  backendsPerClient: number[];
  /** Established TCP connections each client process holds (null where the OS does not tell). */
  connectionsPerClient: (number | null)[];
  /** A client started once the fleet runs: ms from its start until its calls reached every server; null = not within the bound. */
  newClientAllServersMs: number | null;
  /** EndpointSlices the Service's endpoints came in (api only). */
  endpointSlices?: number;
  memoryMiB: { clientMedian: number; clientMax: number; serverMedian: number; serverMax: number };
}

export interface DnsAnswer {
  servers: number;
  /** Bytes of the answer over TCP (as many records as 64 KiB holds; uncompressed where it fits, as CoreDNS sends it). */
  fullAnswerBytes: number;
  /** A records in the UDP answer to a query without EDNS0 (truncated: TC set). */
  udpRecordsNoEdns: number;
  truncatedNoEdns: boolean;
  /** Addresses grpc-js's dns resolver returned for the name. */
  grpcJsAddresses: number;
  /** How the resolver's queries reached the server: UDP and TCP counts. */
  queriesUdp: number;
  queriesTcp: number;
}

export interface CapacityPoint {
  /** Calls per second the load generators offered (open loop). */
  offeredPerS: number;
  /** Calls answered OK in the window, per second. */
  achievedPerS: number;
  /** Over every call due in the window, a failed one at the time it failed (about the deadline). */
  p50Ms: number;
  p99Ms: number;
  /** Calls due in the window that failed (mostly DEADLINE_EXCEEDED). */
  failed: number;
}

export interface CapacitySweep {
  servers: number;
  clients: number;
  /** The servers' simulated cost: each call takes serviceTimeMs, at most maxConcurrentCalls at once per server. */
  serviceTimeMs: number;
  maxConcurrentCalls: number;
  /** The clients' call deadline. */
  deadlineMs: number;
  /** servers x maxConcurrentCalls x 1000 / serviceTimeMs. */
  fleetCapacityPerS: number;
  /** Per mode: one point per offered load, lowest first. */
  points: Record<LabMode, CapacityPoint[]>;
  /** Per mode: servers that got any call (l4: the ones the clients happened to pin). */
  serversUsed: Record<LabMode, number>;
}

export interface DiscoveryTimeline {
  mode: LabMode;
  servers: number;
  /** The servers' max connection age; 0 = none. */
  maxConnectionAgeMs: number;
  binMs: number;
  /** From the moment a new server is published: the share (0-1) of all calls it answered, per bin. */
  newServerShare: number[];
  /** ms from publishing to its first call; null = none within the run. */
  firstCallMs: number | null;
}

export interface PeerFigures {
  /** Calls/s answered with no rate limit, after the warm-up (ghz as fast as it goes). */
  unthrottledCallsPerS: number;
  /** Calls/s answered at the offered load, per round. */
  callsPerS: number[];
  p99Ms: number[];
  /** Resident memory after the rounds. */
  rssMiB: number;
  /** From spawning the process until the first successful call. */
  startToServingMs: number;
}

export interface PeerComparison {
  tool: string;
  offeredPerS: number;
  rounds: number;
  ours: PeerFigures;
  java: PeerFigures;
  /** ours / java, from the medians. */
  ratios: { unthrottledCallsPerS: number; callsPerS: number; p99: number; rss: number; startToServing: number };
}
