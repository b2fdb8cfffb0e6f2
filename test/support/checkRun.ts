// The standalone check scripts (test/interop, test/grpcurl) report the same way:
// one PASS/FAIL line per check, then "N passed, N failed", exit status 0 only if
// every check passed. A signal (run.sh's time limit, Ctrl-C) fails the running
// check, prints the totals and exits; the scripts' "exit" handlers then kill
// every child they started by PID.

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class CheckRun {
  private passed = 0;
  private failed = 0;
  private current = "";

  constructor() {
    this.endOn("SIGTERM", 143);
    this.endOn("SIGINT", 130);
  }

  /** Runs one check: PASS with what it returns, FAIL with what it threw. */
  async check(name: string, run: () => Promise<string>): Promise<boolean> {
    this.current = name;
    try {
      const started = Date.now();
      const detail = await run();
      console.log(`PASS ${name}: ${detail} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      this.passed++;
      return true;
    } catch (error) {
      this.fail(name, message(error));
      return false;
    } finally {
      this.current = "";
    }
  }

  /** A failure outside a check (setup): counted like one. */
  fail(name: string, why: string): void {
    console.log(`FAIL ${name}: ${why}`);
    this.failed++;
  }

  /** Prints the totals and sets the exit status. */
  finish(): void {
    console.log(`${this.passed} passed, ${this.failed} failed`);
    process.exitCode = this.failed === 0 ? 0 : 1;
  }

  private endOn(signal: NodeJS.Signals, code: number): void {
    process.once(signal, () => {
      if (this.current) this.fail(this.current, `ended by ${signal} (run.sh's time limit?) before a result`);
      this.finish();
      process.exit(code);
    });
  }
}
