// The image must reach the nodes. Where the kubeconfig context tells that it
// cannot (a local-daemon build for kind, or for minikube without its docker-env),
// preview fails with the fix, before anything is registered.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConfigError, ImageSource } from "../../components/config";
import { imageReachProblem } from "../../components/imageReach";
import { kubeContext } from "../../components/kubeContext";
import { allRpcsDone, runProgram, startMocks } from "./support/mockRun";

const BUILD: ImageSource = { kind: "build" };

describe("kubeconfig context", () => {
  let dir: string;
  const kubeconfig = (name: string, context: string | null) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, `apiVersion: v1\nkind: Config\n${context === null ? "" : `current-context: ${context}\n`}contexts: []\n`);
    return file;
  };
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "grpc-lb-kubeconfig-"))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("is the stack's kubernetes:context when set, whatever the kubeconfig says", () => {
    assert.equal(kubeContext({ context: "prod" }, { KUBECONFIG: kubeconfig("a", "kind-demo") }), "prod");
  });

  it("is the current-context of the stack's kubernetes:kubeconfig (a path or the YAML itself), not KUBECONFIG's", () => {
    const env = { KUBECONFIG: kubeconfig("e", "kind-demo") };
    assert.equal(kubeContext({ kubeconfig: kubeconfig("f", "gke_p_z_c") }, env), "gke_p_z_c");
    assert.equal(kubeContext({ kubeconfig: "apiVersion: v1\ncurrent-context: eks-prod\n" }, env), "eks-prod");
  });

  it("is undefined for a kubeconfig that is not YAML: the provider will say so itself", () => {
    assert.equal(kubeContext({}, { KUBECONFIG: kubeconfig("g", "[unclosed") }), undefined);
  });

  it("is the first KUBECONFIG file's current-context, skipping missing files and files without one", () => {
    const env = { KUBECONFIG: [path.join(dir, "missing"), kubeconfig("none", null), kubeconfig("b", "minikube"), kubeconfig("c", "kind-x")].join(path.delimiter) };
    assert.equal(kubeContext({}, env), "minikube");
  });

  it("is ~/.kube/config's without KUBECONFIG, and undefined when nothing says", () => {
    fs.mkdirSync(path.join(dir, "home", ".kube"), { recursive: true });
    fs.copyFileSync(kubeconfig("d", "docker-desktop"), path.join(dir, "home", ".kube", "config"));
    assert.equal(kubeContext({}, {}, path.join(dir, "home")), "docker-desktop");
    assert.equal(kubeContext({}, {}, path.join(dir, "nobody")), undefined);
  });
});

describe("image reaching the nodes", () => {
  it("kind: a local-daemon build is refused with both fixes; a registry or a prebuilt image is fine", () => {
    const problem = imageReachProblem(BUILD, "kind-demo", {});
    assert.match(problem ?? "", /kind cluster "demo" \(context kind-demo\) cannot see/);
    assert.match(problem ?? "", /kind load docker-image grpc-lb-echo:dev --name demo && pulumi config set grpc-lb:image grpc-lb-echo:dev/);
    assert.match(problem ?? "", /pulumi config set grpc-lb:registry localhost:5001/);
    assert.equal(imageReachProblem({ kind: "build", registry: "localhost:5001" }, "kind-demo", {}), undefined);
    assert.equal(imageReachProblem({ kind: "prebuilt", reference: "grpc-lb-echo:dev" }, "kind-demo", {}), undefined);
  });

  it("minikube: fine after eval $(minikube docker-env), refused without", () => {
    assert.match(imageReachProblem(BUILD, "minikube", {}) ?? "", /run eval \$\(minikube docker-env\) in this shell/);
    assert.equal(imageReachProblem(BUILD, "minikube", { MINIKUBE_ACTIVE_DOCKERD: "minikube" }), undefined);
  });

  it("Docker Desktop, other contexts and no context at all: nothing to say", () => {
    for (const context of ["docker-desktop", "gke_project_zone_cluster", undefined]) assert.equal(imageReachProblem(BUILD, context, {}), undefined);
  });

  it("preview on a kind context without image or registry fails with the fix and registers nothing", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "grpc-lb-kubeconfig-"));
    try {
      const file = path.join(dir, "config");
      fs.writeFileSync(file, "apiVersion: v1\nkind: Config\ncurrent-context: kind-grpc-lb\n");
      const recorder = await startMocks({ mode: "clientside" }, "clientside");
      assert.throws(() => runProgram("clientside", { KUBECONFIG: file }), (error: unknown) => {
        assert.ok(error instanceof ConfigError, String(error));
        assert.match(error.message, /^Invalid stack configuration: the image would be built into your local Docker daemon, which the nodes of kind cluster "grpc-lb"/);
        return true;
      });
      await allRpcsDone();
      assert.deepEqual(recorder.seen(), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
