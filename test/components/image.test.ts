// Where the image comes from, for each of the three image configs, and the content
// hash that tags a built image.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as k8s from "@pulumi/kubernetes";
import { imageContentHash, imageInputFiles } from "../../components/imageHash";
import { findProjectRoot } from "../../components/projectRoot";
import { FAKE_DIGEST, MockRun, Registration, mockRun } from "./support/mockRun";

type PodSpec = k8s.types.output.core.v1.PodSpec;
interface ImageInputs {
  imageName: string;
  skipPush: boolean;
  build: { context: string; dockerfile: string; args?: Record<string, string>; platform?: string };
}

const IMAGE = "docker:index/image:Image";
const ROOT = findProjectRoot(__dirname);
const TAG = imageContentHash(ROOT, {}).slice(0, 16);

/** [image, imagePullPolicy] of every container of every pod template. */
function podImages(run: MockRun): [string, string | undefined][] {
  return run.recorder.registrations
    .map((r: Registration) => (r.inputs.spec as { template?: { spec: PodSpec } } | undefined)?.template?.spec)
    .filter((spec): spec is PodSpec => spec !== undefined)
    .flatMap((spec) => spec.containers.map((c): [string, string | undefined] => [c.image, c.imagePullPolicy]));
}

describe("image: registry set", () => {
  let run: MockRun;
  let image: ImageInputs;
  before(async () => {
    run = await mockRun({ mode: "l4", registry: "localhost:5001", baseImage: "node:local-slim" });
    image = run.recorder.one(IMAGE).inputs as unknown as ImageInputs;
  });

  it("builds echo/Dockerfile with the repository as context and pushes it there", () => {
    const tag = imageContentHash(ROOT, { BASE_IMAGE: "node:local-slim" }).slice(0, 16);
    assert.equal(image.imageName, `localhost:5001/grpc-lb-echo:${tag}`);
    assert.notEqual(tag, TAG, "the base image is part of the tag");
    assert.equal(image.skipPush, false);
    assert.equal(path.resolve(image.build.context), ROOT);
    assert.equal(path.resolve(image.build.dockerfile), path.join(ROOT, "echo", "Dockerfile"));
    assert.ok(!path.isAbsolute(image.build.context), "no machine paths in the stack's state");
    assert.deepEqual(image.build.args, { BASE_IMAGE: "node:local-slim" });
  });

  it("runs the pushed image by digest in every pod", () => {
    const reference = `localhost:5001/grpc-lb-echo@${FAKE_DIGEST}`;
    assert.deepEqual(podImages(run), [
      [reference, "IfNotPresent"],
      [reference, "IfNotPresent"],
    ]);
    assert.equal(run.outputs.image, reference);
  });
});

describe("image: registry unset (local daemon)", () => {
  let run: MockRun;
  let image: ImageInputs;
  before(async () => {
    run = await mockRun({ mode: "clientside" });
    image = run.recorder.one(IMAGE).inputs as unknown as ImageInputs;
  });

  it("builds into the local daemon, tagged by content hash, and does not push", () => {
    assert.equal(image.imageName, `grpc-lb-echo:${TAG}`);
    assert.match(TAG, /^[0-9a-f]{16}$/);
    assert.equal(image.skipPush, true);
    assert.equal(image.build.args, undefined, "the Dockerfile's default base image");
    assert.equal(image.build.platform, undefined);
  });

  it("runs that tag with imagePullPolicy IfNotPresent, so the node never pulls it", () => {
    assert.deepEqual(podImages(run), [
      [`grpc-lb-echo:${TAG}`, "IfNotPresent"],
      [`grpc-lb-echo:${TAG}`, "IfNotPresent"],
    ]);
    assert.equal(run.outputs.image, `grpc-lb-echo:${TAG}`);
  });

  it("builds for another platform when asked", async () => {
    const other = await mockRun({ mode: "l4", platform: "linux/arm64" });
    const inputs = other.recorder.one(IMAGE).inputs as unknown as ImageInputs;
    assert.equal(inputs.build.platform, "linux/arm64");
    assert.notEqual(inputs.imageName, `grpc-lb-echo:${TAG}`, "the platform is part of the tag");
  });
});

describe("image: image set (prebuilt)", () => {
  let run: MockRun;
  before(async () => {
    run = await mockRun({ mode: "l4", image: "grpc-lb-echo:dev" });
  });

  it("registers no docker Image at all", () => {
    assert.deepEqual(run.recorder.all(IMAGE), []);
    assert.ok(!run.recorder.seen().some((id) => id.startsWith("docker:")), run.recorder.seen().join(", "));
    assert.equal(run.stack.image.build, undefined);
  });

  it("runs the given reference as is, IfNotPresent (works after kind load docker-image)", () => {
    assert.deepEqual(podImages(run), [
      ["grpc-lb-echo:dev", "IfNotPresent"],
      ["grpc-lb-echo:dev", "IfNotPresent"],
    ]);
    assert.equal(run.outputs.image, "grpc-lb-echo:dev");
  });
});

describe("image content hash", () => {
  let dir: string;
  const write = (file: string, content: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), content);
  };
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "grpc-lb-hash-"));
    write("package.json", "{}");
    write("package-lock.json", "{}");
    write("tsconfig.json", "{}");
    write(".dockerignore", "*");
    write("echo/Dockerfile", "FROM scratch");
    write("echo/server.ts", "server");
    write("proto/echo.proto", "syntax");
    write("echo/node_modules/x/index.js", "installed");
    write("dist/echo/server.js", "compiled");
    write("README.md", "docs");
    write("index.ts", "pulumi program");
    write("components/stack.ts", "pulumi program");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("covers the service's sources, proto, manifests, compiler settings and the Dockerfile, sorted", () => {
    assert.deepEqual(imageInputFiles(dir), [
      ".dockerignore",
      "echo/Dockerfile",
      "echo/server.ts",
      "package-lock.json",
      "package.json",
      "proto/echo.proto",
      "tsconfig.json",
    ]);
  });

  it("is stable, and changes with an input's content or name", () => {
    const before = imageContentHash(dir);
    assert.equal(imageContentHash(dir), before);
    write("echo/server.ts", "server v2");
    const edited = imageContentHash(dir);
    assert.notEqual(edited, before);
    fs.renameSync(path.join(dir, "echo/server.ts"), path.join(dir, "echo/main.ts"));
    assert.notEqual(imageContentHash(dir), edited);
  });

  it("ignores what does not go into the image", () => {
    const before = imageContentHash(dir);
    write("README.md", "more docs");
    write("components/stack.ts", "another program");
    write("echo/node_modules/x/index.js", "reinstalled");
    write("dist/echo/server.js", "recompiled");
    assert.equal(imageContentHash(dir), before);
  });

  it("includes the build settings", () => {
    assert.notEqual(imageContentHash(dir, { BASE_IMAGE: "node:a" }), imageContentHash(dir, { BASE_IMAGE: "node:b" }));
    assert.equal(imageContentHash(dir, { BASE_IMAGE: undefined }), imageContentHash(dir));
  });

  it("finds the real inputs from the compiled tests, starting at Pulumi.yaml's directory", () => {
    const files = imageInputFiles(ROOT);
    for (const file of ["echo/Dockerfile", "echo/package.json", "package.json", "package-lock.json", "proto/echo.proto", "tsconfig.json"]) {
      assert.ok(files.includes(file), `${file} missing from ${files.join(", ")}`);
    }
    assert.ok(!files.some((f) => f.includes("node_modules") || f.startsWith("dist/") || f.startsWith("components/")));
  });
});
