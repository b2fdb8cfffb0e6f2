// index.ts itself, as Pulumi runs it: once with a bad config (a module that throws
// is not cached, so it can be loaded again) and once with a good one.
import { strict as assert } from "node:assert";
import type * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../../components/config";
import { allRpcsDone, NO_KUBECONFIG, resolve, startMocks } from "./support/mockRun";

const OUTPUTS = ["mode", "namespace", "target", "lbPolicy", "image", "clientPods", "logCommands", "getPodsCommand"] as const;
type IndexExports = Record<(typeof OUTPUTS)[number], pulumi.Output<unknown>>;

describe("index.ts", () => {
  // index.ts reads the real environment: keep this machine's kubeconfig out of it.
  const saved = process.env.KUBECONFIG;
  before(() => (process.env.KUBECONFIG = NO_KUBECONFIG.KUBECONFIG));
  after(() => (saved === undefined ? delete process.env.KUBECONFIG : (process.env.KUBECONFIG = saved)));

  it("stops on a bad mode before registering anything", async () => {
    const recorder = await startMocks({ mode: "round-robin" }, "clientside");
    await assert.rejects(import("../../index"), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /grpc-lb:mode must be one of l4, clientside, api, l7, got "round-robin"/);
      return true;
    });
    await allRpcsDone();
    assert.deepEqual(recorder.seen(), []);
  });

  it("deploys the clientside stack and exports every output", async () => {
    const recorder = await startMocks({ mode: "clientside", clientReplicas: "3" }, "clientside");
    const program = (await import("../../index")) as unknown as IndexExports;
    const values: Record<string, unknown> = {};
    for (const key of OUTPUTS) values[key] = await resolve(program[key]);
    assert.match(String(values.image), /^grpc-lb-echo:[0-9a-f]{16}$/);
    delete values.image;
    assert.deepEqual(values, {
      mode: "clientside",
      namespace: "grpc-lb-clientside",
      target: "dns:///echo-server.grpc-lb-clientside.svc.cluster.local:8080",
      lbPolicy: "round_robin",
      clientPods: ["echo-client-0", "echo-client-1", "echo-client-2"],
      logCommands: [0, 1, 2].map((i) => `kubectl logs -f -n grpc-lb-clientside echo-client-${i}`),
      getPodsCommand: "kubectl get pods -n grpc-lb-clientside -l run=echo-client",
    });
    await allRpcsDone();
    const service = recorder.one("kubernetes:core/v1:Service").inputs as { spec: { clusterIP?: string } };
    assert.equal(service.spec.clusterIP, "None");
  });
});
