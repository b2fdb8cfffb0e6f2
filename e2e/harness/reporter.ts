// The e2e's reporter: a PASS/FAIL line per check with what it saw, the totals, and a JSON
// report (<state>/logs/report.json) with every check, its result, detail and duration,
// and what the cluster's env file says (tool versions, build and bring-up times).
import * as fs from "node:fs";
import * as path from "node:path";
import * as Mocha from "mocha";
import { clusterEnv, logsDir } from "./clusterEnv";

import { details } from "./detail";

interface CheckResult {
  name: string;
  group: string;
  state: "passed" | "failed";
  seconds: number;
  detail?: string;
  error?: string;
}

const { EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_RUN_END } = Mocha.Runner.constants;
const seconds = (runnable: Mocha.Runnable) => Math.round(runnable.duration ?? 0) / 1000;

class E2eReporter extends Mocha.reporters.Base {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    const started = new Date();
    const checks: CheckResult[] = [];
    runner.on(EVENT_TEST_PASS, (test) => {
      const text = details.get(test) ?? "";
      console.log(`PASS ${test.title}: ${text} (${seconds(test).toFixed(1)} s)`);
      checks.push({ name: test.title, group: test.parent?.fullTitle() ?? "", state: "passed", seconds: seconds(test), detail: text });
    });
    runner.on(EVENT_TEST_FAIL, (test, error: Error) => {
      // A failing hook is the setup of the checks under it: named after it, counted as a failure.
      console.log(`FAIL ${test.title}: ${error.message}`);
      checks.push({ name: test.title, group: test.parent?.fullTitle() ?? "", state: "failed", seconds: seconds(test), error: error.message });
    });
    runner.once(EVENT_RUN_END, () => {
      const passed = checks.filter((c) => c.state === "passed").length;
      const failed = checks.length - passed;
      const report = {
        started: started.toISOString(),
        seconds: Math.round((Date.now() - started.getTime()) / 100) / 10,
        passed,
        failed,
        cluster: clusterEnv().facts,
        checks,
      };
      const file = path.join(logsDir(), "report.json");
      fs.writeFileSync(file, JSON.stringify(report, null, 2) + "\n");
      if (failed > 0) console.log(`failed checks:\n${checks.filter((c) => c.state === "failed").map((c) => `  - ${c.name}`).join("\n")}`);
      console.log(`report: ${file}`);
      console.log(`${passed} passed, ${failed} failed`);
    });
  }
}

export = E2eReporter;
