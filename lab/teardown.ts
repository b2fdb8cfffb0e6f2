// Stops whatever a lab run started, once and within a time bound: on a normal
// end, on an error and on Ctrl-C / SIGTERM alike. Steps should stop things hard
// (SIGKILL, close sockets); graceful stops belong to the run itself.
type Step = () => unknown;

export class Teardown {
  private readonly steps: Step[] = [];
  private running?: Promise<void>;

  add(step: Step): void {
    this.steps.push(step);
  }

  /** Runs every step (newest first, errors ignored); gives up waiting after `limitMs`. */
  run(limitMs = 5000): Promise<void> {
    this.running ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, limitMs)));
      const steps = this.steps
        .splice(0)
        .reverse()
        .map((step) => Promise.resolve().then(step).catch(() => undefined));
      await Promise.race([Promise.all(steps), limit]);
      clearTimeout(timer);
    })();
    return this.running;
  }

  /**
   * On SIGINT / SIGTERM: call `first` (e.g. restore the terminal), tear down and
   * exit 130 / 143 at once. Children still alive then are SIGKILLed by the exit
   * hook of processes.ts.
   */
  exitOnSignals(first: (signal: NodeJS.Signals) => void = () => {}): void {
    const onSignal = (signal: NodeJS.Signals) => {
      first(signal);
      void this.run(2000).then(() => process.exit(signal === "SIGINT" ? 130 : 143));
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  }
}
