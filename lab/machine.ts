// What a benchmark ran on: its figures mean little without it.
import * as os from "node:os";

export interface Machine {
  nproc: number;
  cpu: string;
  node: string;
  /** 1-minute load average: another job on the machine shows here. */
  loadAverage1m: number;
}

export function machine(): Machine {
  return {
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model.trim() ?? "unknown",
    node: process.version,
    loadAverage1m: Math.round(os.loadavg()[0] * 100) / 100,
  };
}
