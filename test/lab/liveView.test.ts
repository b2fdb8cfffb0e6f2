// The demo's live view fits an 80-column terminal: with 4 servers, 6-digit call
// counts and both modes' real descriptions, no line of it is longer than 79 (the
// redraw cuts lines at the width minus one, so they never wrap).
import { strict as assert } from "node:assert";
import { CallTally } from "../../lab/callTally";
import { ageNote, ModePanel, panelLines, viewTitle } from "../../lab/liveView";
import { describeMode, LAB_MODES } from "../../lab/modes";

function panel(mode: (typeof LAB_MODES)[number]): ModePanel {
  const servers = [1, 2, 3, 4].map((i) => `echo-server-${i}`);
  const tally = new CallTally();
  for (let i = 0; i < 400_000; i++) tally.recordResponse(servers[i % 4], 1, 0);
  return {
    mode,
    how: describeMode(mode, { clusterIpTarget: "127.0.0.10:65535", proxyTarget: "127.0.0.9:65535" }),
    ageNote: ageNote(mode, 30000),
    servers,
    newServer: servers[3],
    clients: [1, 2].map((i) => ({ name: `client-${i}`, tally })),
  };
}

describe("the demo's live view", () => {
  it("fits 80 columns with 4 servers, in every mode", () => {
    const lines = [viewTitle(599.9, 600, 2), ...LAB_MODES.flatMap((mode) => panelLines(panel(mode), 0))];
    const wide = lines.filter((line) => [...line].length > 79);
    assert.deepEqual(wide, [], `lines over 79 columns:\n${wide.join("\n")}`);
    assert.ok(lines.some((line) => line.includes("server-4 new")), "the new server is marked");
  });
});
