// What a passing check saw, for its PASS line and the JSON report (e2e/harness/reporter.ts).
import type * as Mocha from "mocha";

export const details = new WeakMap<Mocha.Runnable, string>();

export function detail(context: Mocha.Context, text: string): void {
  if (context.test) details.set(context.test, text);
}
