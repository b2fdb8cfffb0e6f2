// Config the program refuses: `pulumi preview` fails with the program's own message, and
// nothing is created.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigError, readStackConfig } from "../../components/config";
import { imageReachProblem } from "../../components/imageReach";
import { clusterEnv } from "../harness/clusterEnv";
import { find } from "../harness/kubectl";
import { detail } from "../harness/detail";
import { E2eStack, StackConfigValues } from "../harness/stacks";

/** The message the program itself gives for these values (what the preview must show). */
function programMessage(stack: string, values: StackConfigValues): string {
  try {
    readStackConfig({ get: (key) => values[key as keyof StackConfigValues] }, stack);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`the program accepts ${JSON.stringify(values)}`);
}

describe("bad config", () => {
  const BAD = "badmode";
  let stack: E2eStack;
  const values: StackConfigValues = { mode: "roundrobin", image: clusterEnv().image };
  let errors: Promise<string[]> | undefined;
  /** The failed preview, once per run: both checks below read it. */
  const previewErrors = () => (errors ??= stack.previewErrors("bad-mode"));

  before(async () => {
    stack = await E2eStack.open(BAD);
    await stack.writeConfig(values);
  });
  after(() => stack.remove(true));

  it("bad mode: preview fails", async function () {
    const message = programMessage(BAD, values);
    const seen = await previewErrors();
    assert.ok(seen.some((e) => e.includes(message)), `the preview's errors do not carry "${message}": ${seen.join(" | ")}`);
    detail(this, message);
  });

  it("bad mode: nothing created", async function () {
    await previewErrors();
    const namespace = `grpc-lb-${BAD}`;
    assert.equal(await find("namespace", namespace), undefined, `namespace ${namespace} exists`);
    assert.equal(await stack.resourceCount(), 0, "the stack holds resources");
    detail(this, `no namespace ${namespace}, no resources in the stack`);
  });

  it("kind context: preview stops", async function () {
    // The quick start's trap: a kind context with neither grpc-lb:image nor registry. The
    // program cannot reach kind's nodes with a local build, so it must stop with the fix.
    const kubeconfig = path.join(clusterEnv().state, "kind-kubeconfig");
    fs.writeFileSync(kubeconfig, "apiVersion: v1\nkind: Config\ncurrent-context: kind-demo\n");
    const kind = await E2eStack.open("kindctx", { KUBECONFIG: kubeconfig });
    try {
      await kind.writeConfig({});
      const problem = imageReachProblem(readStackConfig({ get: () => undefined }, "kindctx").image, "kind-demo", {});
      assert.ok(problem, "the program sees no problem with a kind context");
      const message = new ConfigError([problem]).message;
      const errors = await kind.previewErrors("kind-context");
      assert.ok(errors.some((e) => e.includes(message)), `the preview's errors do not carry the kind fix: ${errors.join(" | ")}`);
      detail(this, `${message.slice(0, 140)}...`);
    } finally {
      await kind.remove(true);
    }
  });
});
