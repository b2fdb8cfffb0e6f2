// What the proxy's hop costs: the mode whose clients balance over the headless
// Service themselves (clientside) against the mode whose proxy balances over the same
// name (l7), on one fleet with a simulated cost per call, at the same offered loads
// (open loop, the capacity sweep's machinery): p50 and p99 at each load, and the most
// calls/s each got answered. Connection ageing is off for both; what differs is the hop,
// and the policy picking a server (round_robin in the client, leastconn in HAProxy),
// which matters near capacity.
import { capacitySweep, type CapacitySettings, serviceCostEnv, sweepLoads } from "./capacitySweep";
import { discoveryOf, LAB_MODES, LAB_MODES_MISSING, type LabMode, startSharedCluster } from "./modes";
import type { CapacitySweep } from "./scaleReport";
import { round } from "./stats";

export type HopSettings = CapacitySettings;

export interface HopCost {
  /** The clients balance over the headless Service's records themselves. */
  direct: LabMode;
  /** The clients dial the proxy, which balances over the same records. */
  proxied: LabMode;
  sweep: CapacitySweep;
  /** Per mode: the most calls/s answered at any offered load. */
  capacityPerS: Record<LabMode, number>;
  /** proxied / direct: per offered load (lowest first) for p50 and p99, and for capacity. */
  ratios: { p50: number[]; p99: number[]; capacity: number };
}

/** The two modes the hop is measured between, read from the mode table; undefined when this machine runs no proxy. */
export function hopModes(): { direct: LabMode; proxied: LabMode } | undefined {
  const proxied = LAB_MODES.find((mode) => discoveryOf(mode) === "proxy");
  const direct = LAB_MODES.find((mode) => discoveryOf(mode) === "dns");
  return proxied && direct ? { direct, proxied } : undefined;
}

/** Why the hop cannot be measured here (the proxy mode's install hint), or undefined. */
export function hopMissing(): string | undefined {
  return hopModes() ? undefined : (LAB_MODES_MISSING.join("; ") || "no mode with a proxy");
}

const ratio = (a: number, b: number) => (b > 0 ? round(a / b, 3) : 0);

export async function measureHop(s: HopSettings, progress: (line: string) => void = () => {}): Promise<HopCost> {
  const modes = hopModes();
  if (!modes) throw new Error(`the hop cannot be measured: ${hopMissing()}`);
  const { direct, proxied } = modes;
  // Age 0: no mode's servers close connections, so the two can share the fleet.
  const cluster = await startSharedCluster([direct, proxied], s.servers, 0, serviceCostEnv(s));
  try {
    const sweep = capacitySweep(s, await sweepLoads([direct, proxied], cluster, s, progress));
    const capacityPerS = {} as Record<LabMode, number>;
    for (const mode of [direct, proxied]) capacityPerS[mode] = Math.max(...sweep.points[mode].map((p) => p.achievedPerS));
    const [d, p] = [sweep.points[direct], sweep.points[proxied]];
    return {
      direct,
      proxied,
      sweep,
      capacityPerS,
      ratios: {
        p50: p.map((x, i) => ratio(x.p50Ms, d[i].p50Ms)),
        p99: p.map((x, i) => ratio(x.p99Ms, d[i].p99Ms)),
        capacity: ratio(capacityPerS[proxied], capacityPerS[direct]),
      },
    };
  } finally {
    await cluster.stop();
  }
}
