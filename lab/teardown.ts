// Stops whatever a lab run started, once and within a time bound: on a normal
// end, on an error and on Ctrl-C / SIGTERM alike. Steps should stop things hard
// (SIGKILL, close sockets); graceful stops belong to the run itself.
import { killAllChildren } from "./processes";

type Step = () => unknown;

export class Teardown {
  private readonly steps: Step[] = [];
  private running?: Promise<void>;
  /** Set once a signal arrived: the signal handler owns the exit from then on. */
  interrupted = false;

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
   * On SIGINT / SIGTERM: call `first` (e.g. restore the terminal), tear down,
   * SIGKILL and reap any child process still running (also those of steps not
   * registered here), and exit 130 / 143.
   */
  exitOnSignals(first: (signal: NodeJS.Signals) => void = () => {}): void {
    const onSignal = async (signal: NodeJS.Signals) => {
      this.interrupted = true;
      first(signal);
      await this.run(2000);
      await killAllChildren(2000);
      process.exit(signal === "SIGINT" ? 130 : 143);
    };
    process.once("SIGINT", (signal) => void onSignal(signal));
    process.once("SIGTERM", (signal) => void onSignal(signal));
  }

  /** Exits with `code` unless a signal handler is already ending the process. */
  exit(code: number): void {
    if (!this.interrupted) process.exit(code);
  }
}
