// Laptops: macOS has only 127.0.0.1 on loopback. The lab checks its addresses up
// front and stops at once with the missing ones and the command that adds them.
// Proved on Linux in a network namespace of the test's own whose loopback has
// only 127.0.0.1/32, as on a Mac (unshare -rn: no real root needed).
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { LAB_ADDRESSES } from "../../lab/localCluster";
import { LoopbackError, missingAddresses } from "../../lab/loopback";

const DIST = path.join(__dirname, "..", "..");
/** Runs node with `args` in a new network namespace whose lo has only 127.0.0.1/32. */
function inBareLoopback(args: string[]) {
  const setup = "ip link set lo up && ip addr del 127.0.0.1/8 dev lo && ip addr add 127.0.0.1/32 dev lo";
  return spawnSync("unshare", ["-rn", "sh", "-c", `${setup} && exec "$0" "$@"`, process.execPath, ...args], {
    cwd: DIST,
    encoding: "utf8",
    timeout: 60000, // a hang guard: the check itself takes milliseconds
  });
}

describe("loopback addresses the lab needs", () => {
  it("are all present here (Linux puts 127.0.0.0/8 on lo)", async () => {
    assert.deepEqual(await missingAddresses(LAB_ADDRESSES), []);
  });

  it("an address no interface has is reported missing, and the error names the fix", async () => {
    assert.deepEqual(await missingAddresses(["127.0.0.1", "192.0.2.1"]), ["192.0.2.1"]);
    const message = new LoopbackError(["127.0.0.10", "127.0.0.11", "127.0.0.12", "127.0.0.20"]).message;
    assert.match(message, /lacks: 127\.0\.0\.10-127\.0\.0\.12, 127\.0\.0\.20/);
    assert.match(message, /for i in \$\(seq 10 20\); do sudo ifconfig lo0 alias 127\.0\.0\.\$i up; done/);
  });

  for (const [program, entry] of [["npm run demo", "lab/demo.js"], ["npm run bench", "lab/bench.js"]]) {
    it(`${program} on a loopback with only 127.0.0.1 stops at once: exit 2, every missing address and the command`, () => {
      const result = inBareLoopback([entry]);
      assert.equal(result.error, undefined, `could not run unshare: ${result.error?.message}`);
      assert.equal(result.status, 2, `exit ${result.status}\n${result.stdout}\n${result.stderr}`);
      assert.match(result.stderr, new RegExp(`^${program}: the lab needs loopback addresses this machine lacks: 127\\.0\\.0\\.9-127\\.0\\.0\\.60$`, "m"));
      assert.match(result.stderr, /sudo ifconfig lo0 alias 127\.0\.0\.\$i up/);
      assert.equal(result.stdout.trim(), "", "nothing started");
    });
  }

  it("a test that needs them fails with the same reason (LocalCluster.start)", () => {
    const script = `require("./lab/localCluster").LocalCluster.start({ servers: 1 })
      .then(() => process.exit(0), (e) => { console.error(e.name + ": " + e.message.split("\\n")[0]); process.exit(3); });`;
    const result = inBareLoopback(["-e", script]);
    assert.equal(result.status, 3, `exit ${result.status}\n${result.stderr}`);
    assert.match(result.stderr, /^LoopbackError: the lab needs loopback addresses this machine lacks: 127\.0\.0\.9-127\.0\.0\.60$/m);
  });
});
