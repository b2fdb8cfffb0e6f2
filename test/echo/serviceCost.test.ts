// The server's simulated cost (SERVICE_TIME_MS, MAX_CONCURRENT_CALLS) gives a fleet a
// known capacity for the benchmark; the client's open loop (ECHO_RATE_PER_S) offers
// load on a schedule. Only lower bounds on time are asserted: a call can be late on a
// busy machine, never early.
import { strict as assert } from "node:assert";
import { performance } from "node:perf_hooks";
import { ServiceCost } from "../../echo/serviceCost";
import { freePort, startClient, startServer } from "../../lab/processes";
import { Cleanup } from "../support/cleanup";
import { echo, echoClient } from "../support/grpcClients";

describe("simulated cost per call (in process)", () => {
  it("is off by default: the answer comes at once, in the same tick", () => {
    let answered = false;
    new ServiceCost({ serviceTimeMs: 0, maxConcurrentCalls: 0 }).serve(() => (answered = true), () => {});
    assert.equal(answered, true);
  });

  it("runs at most maxConcurrentCalls at once, the rest wait in arrival order", async () => {
    const cost = new ServiceCost({ serviceTimeMs: 20, maxConcurrentCalls: 2 });
    const order: number[] = [];
    const queuedAtAnswer: number[] = [];
    const all = Array.from({ length: 5 }, (_, i) => new Promise<void>((resolve) =>
      cost.serve(() => { order.push(i); queuedAtAnswer.push(cost.queued); resolve(); }, () => {}),
    ));
    assert.equal(cost.queued, 3);
    await Promise.all(all);
    assert.deepEqual(order, [0, 1, 2, 3, 4]);
    // Each answer first hands its worker to the next in line.
    assert.deepEqual(queuedAtAnswer, [2, 1, 0, 0, 0]);
  });

  it("a call cancelled while it waits leaves the line and never gets a worker", async () => {
    const cost = new ServiceCost({ serviceTimeMs: 20, maxConcurrentCalls: 1 });
    const answered: number[] = [];
    let cancelSecond = () => {};
    const first = new Promise<void>((resolve) => cost.serve(() => { answered.push(0); resolve(); }, () => {}));
    cost.serve(() => answered.push(1), (listener) => (cancelSecond = listener));
    const third = new Promise<void>((resolve) => cost.serve(() => { answered.push(2); resolve(); }, () => {}));
    cancelSecond();
    assert.equal(cost.queued, 1);
    await first;
    await third;
    assert.deepEqual(answered, [0, 2]);
  });
});

describe("simulated cost and open-loop load (real processes)", () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  async function server(env: Record<string, string>): Promise<string> {
    const port = await freePort(["127.0.0.1"]);
    const started = await startServer({ name: "costly", host: "127.0.0.1", port, env: { MAX_CONNECTION_AGE_MS: "0", ...env } });
    cleanup.add(() => started.stop("SIGKILL"));
    assert.match(started.lines.join("\n"), /simulated cost/);
    return `127.0.0.1:${port}`;
  }

  it("6 calls at once on a server with 100 ms per call and 2 workers take at least 3 service times", async () => {
    const address = await server({ SERVICE_TIME_MS: "100", MAX_CONCURRENT_CALLS: "2" });
    const client = echoClient(address);
    cleanup.add(() => client.close());
    await echo(client, "warm-up"); // connection set-up is not what is timed
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => echo(client, `call ${i}`)));
    const elapsed = performance.now() - started;
    assert.deepEqual(answers.map((a) => a.message), Array.from({ length: 6 }, (_, i) => `call ${i}`));
    assert.ok(elapsed >= 3 * 100 - 5, `6 calls, 2 at a time, 100 ms each: took only ${elapsed.toFixed(0)} ms`);
  });

  it("a call that times out in the line gets DEADLINE_EXCEEDED and the server keeps serving", async () => {
    const address = await server({ SERVICE_TIME_MS: "300", MAX_CONCURRENT_CALLS: "1" });
    const client = echoClient(address);
    cleanup.add(() => client.close());
    await echo(client, "warm-up");
    const busy = echo(client, "holds the worker");
    await assert.rejects(echo(client, "waits", 50), /DEADLINE_EXCEEDED/);
    assert.equal((await busy).message, "holds the worker");
    assert.equal((await echo(client, "after")).message, "after");
  });

  it("ECHO_RATE_PER_S offers calls on schedule and times them from when they were due", async () => {
    // One worker, 100 ms per call, 50 calls/s offered: the line grows by 4 calls per
    // service time, so call k (due at k x 20 ms) cannot end before (k + 1) x 100 ms.
    // A closed loop would wait for each answer and see about 100 ms every time.
    const address = await server({ SERVICE_TIME_MS: "100", MAX_CONCURRENT_CALLS: "1" });
    const latencies: number[] = [];
    const client = startClient(
      { ECHO_SERVICE_TARGET: address, ECHO_RATE_PER_S: "50", ECHO_REQUESTS: "10", ECHO_CONCURRENCY: "1", ECHO_DEADLINE_MS: "10000" },
      (event) => {
        if (event.event === "response") latencies.push(event.ms);
      },
    );
    cleanup.add(() => client.stop());
    const summary = await client.summary;
    assert.equal(summary.ok, 10);
    const lowest = 10 * 100 - 9 * 20; // call k = 9
    assert.ok(Math.max(...latencies) >= lowest - 5, `slowest call ${Math.max(...latencies).toFixed(0)} ms, expected >= ${lowest}`);
  });
});
