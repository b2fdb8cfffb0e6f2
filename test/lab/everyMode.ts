// The lab tests measure every mode of the table: on a machine that cannot run one
// (l7 without haproxy) they fail, with the install hint as the reason, instead of
// passing on fewer modes.
import { strict as assert } from "node:assert";
import { MODES } from "../../components/mode";
import { LAB_MODES, LAB_MODES_MISSING } from "../../lab/modes";

export function requireEveryMode(): void {
  assert.deepEqual(LAB_MODES_MISSING, [], LAB_MODES_MISSING.join("; "));
  assert.deepEqual(LAB_MODES, MODES);
}
