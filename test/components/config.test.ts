// Stack configuration: Pulumi.yaml declares what the program reads, stack files set
// only the mode, and bad values stop the program before any resource exists.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import { load } from "js-yaml";
import { CONFIG_DEFAULTS, CONFIG_KEYS, ConfigError, readStackConfig } from "../../components/config";
import { MODES } from "../../components/mode";
import { findProjectRoot } from "../../components/projectRoot";
import { allRpcsDone, runProgram, startMocks } from "./support/mockRun";

const ROOT = findProjectRoot(__dirname);
const readYaml = (file: string) => load(fs.readFileSync(path.join(ROOT, file), "utf8")) as Record<string, unknown>;

interface Declared {
  type: string;
  default: unknown;
  description: string;
}

describe("Pulumi.yaml and the stack files", () => {
  const project = readYaml("Pulumi.yaml") as { name: string; runtime: { name: string }; config: Record<string, Declared> };

  it("is project grpc-lb on the nodejs runtime", () => {
    assert.equal(project.name, "grpc-lb");
    assert.equal(project.runtime.name, "nodejs");
  });

  it("declares exactly the keys the program reads, each with type, default and description", () => {
    assert.deepEqual(Object.keys(project.config).sort(), [...CONFIG_KEYS].sort());
    for (const key of CONFIG_KEYS) {
      const declared = project.config[key];
      const expectedType = typeof CONFIG_DEFAULTS[key] === "number" ? "integer" : "string";
      assert.equal(declared.type, expectedType, key);
      // The CLI applies these defaults; under mocks the program applies its own: they must agree.
      assert.equal(declared.default, CONFIG_DEFAULTS[key], key);
      assert.ok(declared.description.length > 20, `${key} needs a description`);
    }
  });

  for (const mode of MODES) {
    it(`Pulumi.${mode}.yaml sets grpc-lb:mode: ${mode} and nothing else`, () => {
      assert.deepEqual(readYaml(`Pulumi.${mode}.yaml`), { config: { "grpc-lb:mode": mode } });
    });
  }
});

describe("config errors register no resource", () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    ["mode foo", { mode: "foo" }, /grpc-lb:mode must be one of l4, clientside, api, l7, got "foo"/],
    ["mode L4 (case matters)", { mode: "L4" }, /grpc-lb:mode must be one of l4, clientside, api, l7, got "L4"/],
    ...["0", "-1", "1.5", "abc", ""].flatMap((value): [string, Record<string, string>, RegExp][] => [
      [`serverReplicas ${JSON.stringify(value)}`, { serverReplicas: value }, new RegExp(`grpc-lb:serverReplicas must be a whole number >= 1, got "${value.replace(".", "\\.")}"`)],
      [`clientReplicas ${JSON.stringify(value)}`, { clientReplicas: value }, new RegExp(`grpc-lb:clientReplicas must be a whole number >= 1, got "${value.replace(".", "\\.")}"`)],
    ]),
    ["clientConcurrency 1001", { clientConcurrency: "1001" }, /grpc-lb:clientConcurrency must be a whole number from 1 to 1000, got "1001"/],
    ["maxConnectionAgeMs 500", { maxConnectionAgeMs: "500" }, /grpc-lb:maxConnectionAgeMs must be 0 \(off\) or at least 1000, got 500/],
    ["clientLogFormat yaml", { clientLogFormat: "yaml" }, /grpc-lb:clientLogFormat must be one of text, json, got "yaml"/],
    ["namespace Demo", { namespace: "Demo" }, /grpc-lb:namespace must be a Kubernetes namespace name/],
    ["clusterDomain with a trailing dot", { clusterDomain: "cluster.local." }, /grpc-lb:clusterDomain must be a DNS domain in lower case without a trailing dot .*got "cluster.local."/],
    ["clusterDomain in upper case", { clusterDomain: "Cluster.Local" }, /grpc-lb:clusterDomain must be a DNS domain/],
    ["registry with a scheme", { registry: "http://localhost:5001" }, /grpc-lb:registry must look like host\[:port\]\[\/path\]/],
    ["registry and image", { registry: "localhost:5001", image: "echo:1" }, /grpc-lb:registry cannot be combined with grpc-lb:image/],
    ["platform amd64", { platform: "amd64" }, /grpc-lb:platform must look like os\/arch/],
    ["proxyImage with a scheme", { mode: "l7", proxyImage: "docker://haproxy:3.2" }, /grpc-lb:proxyImage must be an image reference without a scheme/],
    ["proxyReplicas 0", { mode: "l7", proxyReplicas: "0" }, /grpc-lb:proxyReplicas must be a whole number >= 1, got "0"/],
    ["a misspelt key", { serverReplica: "3" }, /grpc-lb:serverReplica is not a known key; known keys: mode, namespace, clusterDomain, serverReplicas/],
  ];

  for (const [name, config, message] of cases) {
    it(name, async () => {
      const recorder = await startMocks(config, "test");
      assert.throws(() => runProgram("test"), (error: unknown) => {
        assert.ok(error instanceof ConfigError, String(error));
        assert.match(error.message, message);
        return true;
      });
      await allRpcsDone();
      assert.deepEqual(recorder.seen(), []);
    });
  }

  it("reports every problem at once", async () => {
    const recorder = await startMocks({ mode: "foo", serverReplicas: "0", clientReplicas: "x" }, "test");
    assert.throws(() => runProgram("test"), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(
        error.problems.map((p) => p.split(" ")[0]),
        ["grpc-lb:mode", "grpc-lb:serverReplicas", "grpc-lb:clientReplicas"],
      );
      return true;
    });
    await allRpcsDone();
    assert.deepEqual(recorder.seen(), []);
  });

  // Control for the checks above: they can fail. Same mocks and the same wait,
  // but the program creates one resource before it throws; the registration it
  // started must show up, complete (monitor request and mock inputs).
  it("control: the same check sees a resource created before the throw", async () => {
    const recorder = await startMocks({}, "test");
    assert.throws(() => {
      new k8s.core.v1.Namespace("control", { metadata: { name: "control" } });
      throw new ConfigError(["grpc-lb:mode thrown after a registration"]);
    }, ConfigError);
    await allRpcsDone();
    assert.deepEqual(recorder.seen(), ["kubernetes:core/v1:Namespace::control"]);
    assert.deepEqual(
      recorder.registrations.map((r) => [r.type, r.name, r.inputs.metadata]),
      [["kubernetes:core/v1:Namespace", "control", { name: "control" }]],
    );
  });

  it("rejects a stack name that makes an invalid default namespace, saying which key to set", () => {
    assert.throws(
      () => readStackConfig({ get: () => undefined }, "My_Stack"),
      /"grpc-lb-My_Stack" \(the default grpc-lb-<stack>; set the key to choose another\)/,
    );
  });
});

describe("readStackConfig", () => {
  it("applies Pulumi.yaml's defaults when keys are unset", () => {
    assert.deepEqual(readStackConfig({ get: () => undefined }, "dev"), {
      stack: "dev",
      mode: "l4",
      namespace: "grpc-lb-dev",
      clusterDomain: "cluster.local",
      serverReplicas: 3,
      clientReplicas: 2,
      clientConcurrency: 4,
      maxConnectionAgeMs: 30000,
      clientLogFormat: "text",
      image: { kind: "build", registry: undefined, baseImage: undefined, platform: undefined },
      proxyImage: "haproxy:3.2",
      proxyReplicas: 2,
    });
  });

  it("reads every key, trimming spaces, and treats empty strings as unset", () => {
    const values: Record<string, string> = {
      mode: " clientside ",
      namespace: "",
      clusterDomain: " corp.example ",
      serverReplicas: "5",
      clientReplicas: "7",
      clientConcurrency: "8",
      maxConnectionAgeMs: "0",
      clientLogFormat: " json ",
      registry: "localhost:5001/lab",
      baseImage: "node:local",
      platform: "linux/arm64/v8",
      proxyImage: " registry.example/haproxy:3.2.9 ",
      proxyReplicas: "3",
    };
    assert.deepEqual(readStackConfig({ get: (key) => values[key] }, "cs"), {
      stack: "cs",
      mode: "clientside",
      namespace: "grpc-lb-cs",
      clusterDomain: "corp.example",
      serverReplicas: 5,
      clientReplicas: 7,
      clientConcurrency: 8,
      maxConnectionAgeMs: 0,
      clientLogFormat: "json",
      image: { kind: "build", registry: "localhost:5001/lab", baseImage: "node:local", platform: "linux/arm64/v8" },
      proxyImage: "registry.example/haproxy:3.2.9",
      proxyReplicas: 3,
    });
  });

  it("takes a prebuilt image as is", () => {
    const config = readStackConfig({ get: (key) => (key === "image" ? "localhost:5001/echo@sha256:abc" : undefined) }, "dev");
    assert.deepEqual(config.image, { kind: "prebuilt", reference: "localhost:5001/echo@sha256:abc" });
  });

  it("ignores other projects' and providers' keys", () => {
    const config = readStackConfig({ get: () => undefined }, "dev", ["grpc-lb:mode", "kubernetes:context", "docker:host"]);
    assert.equal(config.mode, "l4");
  });
});
