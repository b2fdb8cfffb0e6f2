// The lab's EndpointSlices are cut as the controller cuts them by default: at most 100
// endpoints each, every endpoint in exactly one, one (empty) slice for no endpoints.
import { strict as assert } from "node:assert";
import { labSlices, MAX_ENDPOINTS_PER_SLICE } from "../../lab/labSlices";

const endpoints = (n: number) => Array.from({ length: n }, (_, i) => ({ host: `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`, name: `pod-${i}` }));

describe("the lab's EndpointSlices", () => {
  for (const [count, sizes] of [[0, [0]], [1, [1]], [100, [100]], [101, [100, 1]], [250, [100, 100, 50]]] as const) {
    it(`${count} endpoints: slices of ${sizes.join(" + ")}`, () => {
      const slices = labSlices(endpoints(count), 8080);
      assert.deepEqual(slices.map((s) => s.endpoints?.length), sizes);
      assert.deepEqual(slices.map((s) => s.metadata.name), sizes.map((_, i) => `echo-server-lab-${i + 1}`));
      const ips = slices.flatMap((s) => (s.endpoints ?? []).flatMap((e) => e.addresses));
      assert.deepEqual(ips, endpoints(count).map((e) => e.host));
      assert.ok(slices.every((s) => (s.endpoints ?? []).length <= MAX_ENDPOINTS_PER_SLICE && s.ports?.[0].port === 8080));
    });
  }
});
