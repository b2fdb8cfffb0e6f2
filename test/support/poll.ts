// Bounded polling, shared by the container checks and the e2e checks.

/** Polls `probe` every `everyMs` until it returns a value, at most `attempts` times. */
export async function poll<T>(what: string, attempts: number, everyMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  const reason = lastError instanceof Error ? `: ${lastError.message}` : "";
  throw new Error(`${what}: not reached after ${attempts} attempts (${(attempts * everyMs) / 1000} s)${reason}`);
}
