// The stack outputs a reader follows after `pulumi up`: pod names and commands.
import { strict as assert } from "node:assert";
import { mockRun } from "./support/mockRun";

describe("stack outputs", () => {
  it("names the one client pod and its log command when clientReplicas is 1", async () => {
    const { outputs } = await mockRun({ mode: "l4", clientReplicas: "1" }, "l4");
    assert.deepEqual(outputs.clientPods, ["echo-client-0"]);
    assert.deepEqual(outputs.logCommands, ["kubectl logs -f -n grpc-lb-l4 echo-client-0"]);
    assert.equal(outputs.getPodsCommand, "kubectl get pods -n grpc-lb-l4 -l run=echo-client");
  });

  it("names three client pods and three log commands when clientReplicas is 3", async () => {
    const { outputs } = await mockRun({ mode: "clientside", clientReplicas: "3" }, "clientside");
    assert.deepEqual(outputs.clientPods, ["echo-client-0", "echo-client-1", "echo-client-2"]);
    assert.deepEqual(outputs.logCommands, [
      "kubectl logs -f -n grpc-lb-clientside echo-client-0",
      "kubectl logs -f -n grpc-lb-clientside echo-client-1",
      "kubectl logs -f -n grpc-lb-clientside echo-client-2",
    ]);
    assert.equal(outputs.getPodsCommand, "kubectl get pods -n grpc-lb-clientside -l run=echo-client");
  });

  it("reports mode, namespace, target, policy and image", async () => {
    const { outputs } = await mockRun({ mode: "clientside", image: "echo:1" }, "clientside");
    assert.deepEqual(
      { mode: outputs.mode, namespace: outputs.namespace, target: outputs.target, lbPolicy: outputs.lbPolicy, image: outputs.image },
      {
        mode: "clientside",
        namespace: "grpc-lb-clientside",
        target: "dns:///echo-server.grpc-lb-clientside.svc.cluster.local:8080",
        lbPolicy: "round_robin",
        image: "echo:1",
      },
    );
  });

  it("uses a configured namespace everywhere, commands and target included", async () => {
    const { outputs } = await mockRun({ mode: "l4", namespace: "demo", clientReplicas: "1" }, "l4");
    assert.equal(outputs.namespace, "demo");
    assert.equal(outputs.target, "echo-server.demo.svc.cluster.local:8080");
    assert.deepEqual(outputs.logCommands, ["kubectl logs -f -n demo echo-client-0"]);
    assert.equal(outputs.getPodsCommand, "kubectl get pods -n demo -l run=echo-client");
  });
});
