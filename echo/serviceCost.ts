// A simulated cost per call, off by default, so a fleet has a known capacity
// (servers x maxConcurrentCalls x 1000 / serviceTimeMs calls/s) and the benchmark
// can show how much of it each mode delivers. Each call takes serviceTimeMs; at
// most maxConcurrentCalls run at once and later ones wait in line, first come
// first served, as in a server with a fixed pool of workers.

export interface ServiceCostConfig {
  /** How long each call takes; 0 = answer at once. */
  serviceTimeMs: number;
  /** Calls served at once; 0 = no cap. */
  maxConcurrentCalls: number;
}

export class ServiceCost {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly config: ServiceCostConfig) {}

  /** Calls waiting for a worker right now. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Runs `answer` once the call had its turn and its service time. A call whose
   * client gave up while it waited (`onCancel`) leaves the line without using a worker.
   */
  serve(answer: () => void, onCancel: (listener: () => void) => void): void {
    const { serviceTimeMs, maxConcurrentCalls } = this.config;
    if (serviceTimeMs === 0 && maxConcurrentCalls === 0) return answer();
    const start = () => {
      this.running++;
      setTimeout(() => {
        this.running--;
        this.waiting.shift()?.();
        answer();
      }, serviceTimeMs);
    };
    if (maxConcurrentCalls === 0 || this.running < maxConcurrentCalls) return start();
    this.waiting.push(start);
    onCancel(() => {
      const at = this.waiting.indexOf(start);
      if (at >= 0) this.waiting.splice(at, 1);
    });
  }
}
