// The client logs its channel's connectivity changes: a lost connection shows as a line of
// its own (READY -> IDLE), in the order it happened among the calls, before the summary.
import { strict as assert } from "node:assert";
import { ClientEvent, freePort, startClient, startServer } from "../../lab/processes";
import { poll } from "../support/poll";
import { Cleanup } from "../support/cleanup";

describe("client: channel state in the log", () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it("logs connecting, ready, and the connection lost when its server stops", async () => {
    const port = await freePort(["127.0.0.1"]);
    const server = await startServer({ name: "only", host: "127.0.0.1", port });
    cleanup.add(() => server.stop());
    const events: ClientEvent[] = [];
    const client = startClient(
      { ECHO_SERVICE_TARGET: `127.0.0.1:${port}`, ECHO_CONCURRENCY: "1", ECHO_INTERVAL_MS: "20", ECHO_RETRIES: "0" },
      (event) => events.push(event),
    );
    cleanup.add(() => client.stop());
    const changes = () => events.flatMap((e) => (e.event === "channel" ? [`${e.from}->${e.to}`] : []));

    await poll("a first answer", 100, 50, async () => (events.some((e) => e.event === "response") ? true : undefined));
    assert.deepEqual(changes(), ["IDLE->CONNECTING", "CONNECTING->READY"]);

    await server.stop();
    await poll("the lost connection logged", 100, 50, async () => (changes().includes("READY->IDLE") ? true : undefined));
    const lost = events.findIndex((e) => e.event === "channel" && e.from === "READY");
    assert.ok(events.slice(0, lost).some((e) => e.event === "response"), "the answers came before the connection was lost");

    await client.stop();
    assert.equal(events[events.length - 1].event, "summary", "the summary stays the last line");
  });
});
