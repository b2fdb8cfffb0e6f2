import { strict as assert } from "node:assert";
import { LatencyHistogram } from "../../echo/latencyHistogram";

describe("latency histogram", () => {
  it("gives percentiles within its 2% bucket width", () => {
    const histogram = new LatencyHistogram();
    for (let ms = 1; ms <= 1000; ms++) histogram.record(ms);
    const p50 = histogram.quantile(0.5);
    const p99 = histogram.quantile(0.99);
    assert.ok(p50 >= 500 && p50 <= 510, `p50 ${p50}`);
    assert.ok(p99 >= 990 && p99 <= 1010, `p99 ${p99}`);
  });

  it("is 0 when empty and clamps extremes", () => {
    const histogram = new LatencyHistogram();
    assert.equal(histogram.quantile(0.5), 0);
    histogram.record(0);
    histogram.record(10_000_000);
    assert.equal(histogram.quantile(0.5), 0.01);
    assert.ok(histogram.quantile(1) >= 600_000);
  });
});
