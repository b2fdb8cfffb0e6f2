// A server that dies without a goodbye, under load, in each mode: what keepalive
// guarantees. After the keepalive bound (ping interval + ping timeout; behind a
// proxy, its health checks' bound) plus a margin, every call succeeds and none
// reaches the dead server; an l4 client pinned to it has reconnected through the
// balancer to a live one. A control run without keepalive shows that the bound is
// keepalive's doing.
import { strict as assert } from "node:assert";
import { ChaosResult, ChaosSettings, Fault, FAULTS, faultBoundMs, measureChaos } from "../../lab/chaos";
import { LAB_MODES, labSettings, spreadsCalls } from "../../lab/modes";
import { requireEveryMode } from "./everyMode";

const KEEPALIVE_MS = 1000;
const KEEPALIVE_TIMEOUT_MS = 1000;
const BOUND_MS = KEEPALIVE_MS + KEEPALIVE_TIMEOUT_MS;
/** What notices a dead server in `mode`: the clients' keepalive, or the proxy's checks. */
const boundOf = (mode: (typeof LAB_MODES)[number]) => faultBoundMs({ mode, keepaliveTimeMs: KEEPALIVE_MS, keepaliveTimeoutMs: KEEPALIVE_TIMEOUT_MS });
/** Room for a loaded machine: process scheduling, probes, reconnect backoff. */
const MARGIN_MS = 4000;
/** The probes take a dead server out well within the keepalive bound, as the stack's do. */
const PROBE = { periodMs: 200, timeoutMs: 200, failureThreshold: 2 };

const settings = (keepaliveTimeMs: number, observeMs: number): ChaosSettings => ({
  servers: 3,
  clients: 2,
  keepaliveTimeMs,
  keepaliveTimeoutMs: KEEPALIVE_TIMEOUT_MS,
  probe: PROBE,
  observeMs,
});

const show = (result: ChaosResult) => JSON.stringify(result.clients);

describe("chaos: a server frozen or killed under load (real processes on loopback)", function () {
  // Each case: a cluster start, the bound, the margin and the last-second window.
  this.timeout(60000);

  it("runs in every mode here", requireEveryMode);

  for (const mode of LAB_MODES) {
    for (const fault of FAULTS) {
      const bound = boundOf(mode);
      it(`${mode}, ${fault}: after ${labSettings(mode).proxy ? "the proxy's" : "keepalive's"} bound every call succeeds, on live servers only`, async () => {
        const result = await measureChaos(mode, fault, settings(KEEPALIVE_MS, bound + MARGIN_MS + 1000));
        for (const [i, client] of result.clients.entries()) {
          assert.ok(client.lastFailureMs <= bound + MARGIN_MS, `client ${i + 1} failed a call ${client.lastFailureMs} ms after the ${fault}: ${show(result)}`);
          assert.ok(client.callsAtEnd > 0, `client ${i + 1} made no call in the last second: ${show(result)}`);
          assert.equal(client.failedAtEnd, 0, show(result));
          assert.ok(!client.backendsAtEnd.includes(result.victim), `client ${i + 1} still reaches ${result.victim}: ${show(result)}`);
        }
        if (!spreadsCalls(mode)) {
          // The first client was pinned to the victim: it reconnected, and is pinned again.
          const [pinned] = result.clients;
          assert.deepEqual(pinned.backendsBefore, [result.victim], show(result));
          assert.equal(pinned.backendsAtEnd.length, 1, `l4 client spread after reconnecting: ${show(result)}`);
        } else {
          for (const client of result.clients) assert.equal(client.backendsAtEnd.length, 2, `spread calls reach both live servers: ${show(result)}`);
        }
        assert.notEqual(result.unpublishedMs, null, "the readiness probes never took the victim out");
        if (labSettings(mode).proxy) assert.notEqual(result.proxyOutMs, null, `the proxy never took the victim out: ${JSON.stringify(result)}`);
      });
    }
  }

  it("control: without keepalive, calls to a frozen server still fail long after that bound", async () => {
    const fault: Fault = "freeze";
    const result = await measureChaos("clientside", fault, settings(0, BOUND_MS + MARGIN_MS + 4000));
    const late = result.clients.filter((c) => c.lastFailureMs > BOUND_MS + MARGIN_MS);
    assert.ok(late.length > 0, `no client failed a call after ${BOUND_MS + MARGIN_MS} ms: ${show(result)}`);
    assert.ok(result.failedByCode.DEADLINE_EXCEEDED > 0, JSON.stringify(result.failedByCode));
  });
});
