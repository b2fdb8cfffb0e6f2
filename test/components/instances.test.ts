// Components take their name, as pulumi/examples' components do: it names every
// Pulumi resource and Kubernetes object inside, so two instances live side by
// side in one namespace (and the stack's own names, hence URNs, stay as they were).
import { strict as assert } from "node:assert";
import { EchoClients } from "../../components/echoClients";
import { EchoServers } from "../../components/echoServers";
import { workloadLabels } from "../../components/labels";
import { modeSettings } from "../../components/mode";
import { allRpcsDone, startMocks } from "./support/mockRun";

function deployPair(serverName: string, clientName: string) {
  const namespace = "shared";
  const settings = modeSettings("clientside", namespace, "cluster.local", 30000, serverName);
  const serverLabels = workloadLabels(serverName, "server", namespace);
  const clientLabels = workloadLabels(clientName, "client", namespace);
  const common = { namespace, image: "echo:1", imagePullPolicy: "IfNotPresent", settings };
  const servers = new EchoServers(serverName, { ...common, replicas: 2, labels: serverLabels, clientSelector: clientLabels.selector });
  new EchoClients(clientName, { ...common, replicas: 1, concurrency: 1, logFormat: "text", labels: clientLabels, upstream: servers });
  return settings;
}

describe("components: two instances in one namespace", () => {
  it("name every resource and object after the component, so nothing collides", async () => {
    const recorder = await startMocks({}, "test");
    const a = deployPair("echo-server", "echo-client");
    const b = deployPair("echo-server-b", "echo-client-b");
    await allRpcsDone();

    const names = (type: string) => recorder.all(type).map((r) => (r.inputs.metadata as { name: string }).name).sort();
    assert.deepEqual(names("kubernetes:apps/v1:Deployment"), ["echo-server", "echo-server-b"]);
    assert.deepEqual(names("kubernetes:core/v1:Service"), ["echo-server", "echo-server-b"]);
    assert.deepEqual(names("kubernetes:policy/v1:PodDisruptionBudget"), ["echo-server", "echo-server-b"]);
    assert.deepEqual(names("kubernetes:networking.k8s.io/v1:NetworkPolicy"), ["echo-server-allow-clients", "echo-server-b-allow-clients"]);
    assert.deepEqual(names("kubernetes:apps/v1:StatefulSet"), ["echo-client", "echo-client-b"]);
    // Each pair's clients dial their own servers' Service.
    assert.equal(a.target, "dns:///echo-server.shared.svc.cluster.local:8080");
    assert.equal(b.target, "dns:///echo-server-b.shared.svc.cluster.local:8080");
    const serviceB = recorder.all("kubernetes:core/v1:Service").find((r) => r.name === "echo-server-b")!;
    assert.deepEqual((serviceB.inputs.spec as { selector: unknown }).selector, { run: "echo-server-b" });
  });
});
