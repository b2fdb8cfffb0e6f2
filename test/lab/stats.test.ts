// The benchmark's arithmetic, on numbers worked out by hand.
import { strict as assert } from "node:assert";
import { CallTally } from "../../lab/callTally";
import { quantile, spread } from "../../lab/stats";

describe("lab statistics", () => {
  it("quantile uses the nearest rank", () => {
    const samples = [5, 1, 4, 2, 3, 6, 7, 8, 9, 10];
    assert.equal(quantile(samples, 0.5), 5);
    assert.equal(quantile(samples, 0.99), 10);
    assert.equal(quantile([], 0.5), 0);
  });

  it("spread: max/min share and coefficient of variation; unbounded when a backend got nothing", () => {
    assert.deepEqual(spread([100, 100, 100]), { calls: 300, maxMinRatio: 1, cv: 0 });
    assert.deepEqual(spread([110, 100, 90]), { calls: 300, maxMinRatio: 1.222, cv: 0.082 });
    assert.deepEqual(spread([300, 0, 0]), { calls: 300, maxMinRatio: null, cv: 1.414 });
  });

  it("a tally's recent shares forget calls older than the window", () => {
    const tally = new CallTally(1000);
    tally.recordResponse("a", 1, 0);
    tally.recordResponse("b", 1, 600);
    tally.recordResponse("b", 1, 900);
    assert.deepEqual([...tally.recentShares(900)], [["a", 1 / 3], ["b", 2 / 3]]);
    assert.deepEqual([...tally.recentShares(1500)], [["b", 1]]);
    assert.deepEqual([...tally.byBackend], [["a", 1], ["b", 2]]);
  });
});
