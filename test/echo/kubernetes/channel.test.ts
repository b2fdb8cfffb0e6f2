// The resolver in real grpc-js channels (round_robin) calling real echo servers, with the
// stand-in API publishing their addresses: spread, a new pod, fast failures that say why,
// an API outage, one watch for many channels, idle, and a process that exits by itself.
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { ResolutionEvent, onResolution, registerKubernetesResolver } from "../../../echo/kubernetes/register";
import { sharedSliceWatches } from "../../../echo/kubernetes/sliceWatch";
import { EchoClient, loadEchoProto } from "../../../echo/proto";
import { endpointSlice } from "../../../lab/kubeApiStandIn";
import { ServerProcess, freePort, startServer } from "../../../lab/processes";
import { Cleanup } from "../../support/cleanup";
import { echo } from "../../support/grpcClients";
import { poll } from "../../support/poll";
import { ApiFixture, startApiFixture, until } from "./apiFixture";

const NS = "grpc-lb";
const ROUND_ROBIN = { "grpc.service_config": JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }) };
const K8S_VARIABLES = ["KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "ECHO_K8S_TOKEN_FILE", "ECHO_K8S_CA_FILE"];

function publish(fixture: ApiFixture, service: string, sliceName: string, servers: ServerProcess[]): void {
  fixture.api.putSlice(
    NS,
    service,
    endpointSlice({
      name: sliceName,
      endpoints: servers.map((s) => ({ ip: s.host, pod: s.name })),
      // Every server has its own port here: the slice per server carries it, as slices differ per pod port.
      ports: [{ name: "grpc", port: servers[0].port }],
    }),
  );
}

/** Failed call: its code, details and how long it took. */
async function failure(client: EchoClient, deadlineMs: number): Promise<{ code: string; details: string; ms: number }> {
  const started = Date.now();
  try {
    await echo(client, "hello", deadlineMs);
  } catch (error) {
    const { code, details } = error as grpc.ServiceError;
    return { code: grpc.status[code], details, ms: Date.now() - started };
  }
  throw new Error("the call succeeded");
}

describe("kubernetes: targets in real grpc-js channels (round_robin, echo servers, stand-in API)", () => {
  const cleanup = new Cleanup();
  const servers: ServerProcess[] = [];
  const savedEnv = Object.fromEntries(K8S_VARIABLES.map((name) => [name, process.env[name]]));
  let fixture: ApiFixture;

  before(async () => {
    registerKubernetesResolver();
    registerKubernetesResolver(); // idempotent
    for (const name of ["pod-1", "pod-2", "pod-3"]) {
      const port = await freePort(["127.0.0.1"]);
      servers.push(await startServer({ name, host: "127.0.0.1", port, env: { MAX_CONNECTION_AGE_MS: "0" } }));
    }
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop("SIGKILL")));
  });

  beforeEach(async () => {
    fixture = await startApiFixture(cleanup);
    // The process's shared watches read these when a watch starts.
    Object.assign(process.env, fixture.env());
  });
  afterEach(async () => {
    await cleanup.run();
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    assert.equal(sharedSliceWatches.activeWatches, 0, "a watch outlived its channels");
  });

  function client(target: string, options: grpc.ChannelOptions = {}): EchoClient {
    const { Client } = loadEchoProto();
    const created = new Client(target, grpc.credentials.createInsecure(), { ...ROUND_ROBIN, ...options });
    cleanup.add(() => created.close());
    return created;
  }

  async function podsOf(target: EchoClient, calls: number): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (let i = 0; i < calls; i++) {
      const { podName } = await echo(target, `call ${i}`);
      counts[podName] = (counts[podName] ?? 0) + 1;
    }
    return counts;
  }

  /** Calls until every one of `pods` has answered; fails after `maxMs`. */
  async function untilAnswered(target: EchoClient, pods: string[], maxMs: number): Promise<number> {
    const started = Date.now();
    const seen = new Set<string>();
    while (pods.some((pod) => !seen.has(pod))) {
      if (Date.now() - started > maxMs) throw new Error(`only ${[...seen].join(", ")} answered within ${maxMs} ms`);
      seen.add((await echo(target, "who")).podName);
    }
    return Date.now() - started;
  }

  /** onResolution events for `target` from now on. */
  function events(target: string): ResolutionEvent[] {
    const seen: ResolutionEvent[] = [];
    cleanup.add(onResolution((event) => event.target === target && seen.push(event)));
    return seen;
  }

  it("spreads calls over the endpoints the API publishes; a new pod gets calls quickly, a removed one none", async () => {
    // Each server listens on its own port: one slice per server, all with the port named grpc.
    publish(fixture, "echo-spread", "echo-spread-1", [servers[0]]);
    publish(fixture, "echo-spread", "echo-spread-2", [servers[1]]);
    const targetName = `kubernetes:///echo-spread.${NS}:grpc`;
    const seen = events(targetName);
    const target = client(targetName);
    await untilAnswered(target, ["pod-1", "pod-2"], 10000);
    const two = await podsOf(target, 40);
    assert.deepEqual(Object.keys(two).sort(), ["pod-1", "pod-2"]);
    for (const [pod, calls] of Object.entries(two)) assert.ok(calls >= 15, `${pod}: ${calls} of 40: ${JSON.stringify(two)}`);

    publish(fixture, "echo-spread", "echo-spread-3", [servers[2]]);
    const ms = await untilAnswered(target, ["pod-3"], 3000);
    const three = await podsOf(target, 60);
    for (const pod of ["pod-1", "pod-2", "pod-3"]) {
      assert.ok((three[pod] ?? 0) >= 12, `${pod}: ${JSON.stringify(three)}; pod-3 first answered after ${ms} ms`);
    }

    fixture.api.deleteSlice(NS, "echo-spread-1");
    const pod1 = `127.0.0.1:${servers[0].port}`;
    await until("the channel told of pod-1's removal", () => seen.length > 0 && !seen[seen.length - 1].endpoints?.includes(pod1));
    const after = await podsOf(target, 30);
    assert.deepEqual(Object.keys(after).sort(), ["pod-2", "pod-3"]);
    assert.deepEqual(
      seen.map((e) => e.endpoints?.length),
      [2, 3, 2],
      `one event per change: ${JSON.stringify(seen)}`,
    );
  });

  it("fails a call fast with UNAVAILABLE naming the problem when the API answers 403", async () => {
    fixture.api.forbid(NS);
    publish(fixture, "echo-forbidden", "echo-forbidden-1", [servers[0]]);
    const { code, details, ms } = await failure(client(`kubernetes:///echo-forbidden.${NS}:grpc`), 10000);
    assert.equal(code, "UNAVAILABLE");
    assert.ok(ms < 3000, `took ${ms} ms of a 10 s deadline`);
    // Our error itself, not round_robin's "No addresses resolved" (which an empty list alone gives, later).
    assert.ok(details.startsWith(`cannot watch the endpoints of service "echo-forbidden" in namespace "${NS}": 403 Forbidden`), details);
    for (const part of [`namespace "${NS}"`, "403 Forbidden", '"endpointslices"', '"discovery.k8s.io"', "list and watch"]) {
      assert.ok(details.includes(part), `${JSON.stringify(part)} not in: ${details}`);
    }
  });

  it("fails a call fast with UNAVAILABLE naming the service when it has no ready endpoint, and serves once one is ready", async () => {
    const notReady = { name: "echo-empty-1", endpoints: [{ ip: "127.0.0.1", ready: false }], ports: [{ name: "grpc", port: servers[0].port }] };
    fixture.api.putSlice(NS, "echo-empty", endpointSlice(notReady));
    const target = client(`kubernetes:///echo-empty.${NS}.svc.cluster.local:grpc`);
    const { code, details, ms } = await failure(target, 10000);
    assert.equal(code, "UNAVAILABLE");
    assert.ok(ms < 3000, `took ${ms} ms of a 10 s deadline`);
    assert.equal(details, 'no ready endpoints for service "echo-empty" in namespace "grpc-lb" (port grpc): 1 endpoint(s), none ready');

    publish(fixture, "echo-empty", "echo-empty-1", [servers[0]]);
    // Calls fail fast until the channel has the endpoint: try again, bounded.
    await poll("a call answered once the endpoint is ready", 50, 100, async () =>
      (await echo(target, "again", 1000)).podName === "pod-1" ? true : undefined,
    );
  });

  it("fails a call fast on a target without namespace, naming the expected forms", async () => {
    const { code, details, ms } = await failure(client("kubernetes:///echo-spread:grpc"), 10000);
    assert.equal(code, "UNAVAILABLE");
    assert.ok(ms < 3000, `took ${ms} ms`);
    assert.match(details, /^invalid target kubernetes:\/\/\/echo-spread:grpc: no namespace; expected kubernetes:\/\/\/<service>.<namespace>:<port>/);
  });

  it("keeps calling the known pods while the API server is down", async () => {
    publish(fixture, "echo-outage", "echo-outage-1", [servers[0]]);
    publish(fixture, "echo-outage", "echo-outage-2", [servers[1]]);
    const target = client(`kubernetes:///echo-outage.${NS}:grpc`);
    await untilAnswered(target, ["pod-1", "pod-2"], 10000);
    await until("watch open", () => fixture.api.openWatches === 1);
    await fixture.api.stop();
    // The watch fails and retries (250 ms, 500 ms, 1 s...) meanwhile: calls must not notice.
    const started = Date.now();
    let calls = 0;
    while (Date.now() - started < 2000) {
      await echo(target, "during the outage");
      calls++;
    }
    assert.ok(calls > 10, `only ${calls} calls`);
    assert.deepEqual(Object.keys(await podsOf(target, 10)).sort(), ["pod-1", "pod-2"]);
  });

  it("runs one watch for two channels of the same Service, and tells observers each change once", async () => {
    publish(fixture, "echo-shared", "echo-shared-1", [servers[0]]);
    const targetName = `kubernetes:///echo-shared.${NS}:grpc`;
    const seen = events(targetName);
    const one = client(targetName);
    const two = client(targetName);
    await untilAnswered(one, ["pod-1"], 10000);
    await untilAnswered(two, ["pod-1"], 10000);
    publish(fixture, "echo-shared", "echo-shared-2", [servers[1]]);
    await untilAnswered(one, ["pod-2"], 5000);
    await untilAnswered(two, ["pod-2"], 5000);
    assert.deepEqual([fixture.api.lists, fixture.api.watches, sharedSliceWatches.activeWatches], [1, 1, 1]);
    assert.deepEqual(seen, [
      { target: targetName, endpoints: [`127.0.0.1:${servers[0].port}`] },
      { target: targetName, endpoints: [`127.0.0.1:${servers[0].port}`, `127.0.0.1:${servers[1].port}`].sort() },
    ]);
  });

  it("closes the watch when an idle channel destroys its resolver, and watches again on the next call", async () => {
    publish(fixture, "echo-idle", "echo-idle-1", [servers[0]]);
    const target = client(`kubernetes:///echo-idle.${NS}:grpc`, { "grpc.client_idle_timeout_ms": 1000 });
    await untilAnswered(target, ["pod-1"], 10000);
    await until("watch open", () => fixture.api.openWatches === 1);
    await until("idle channel: watch closed", () => fixture.api.openWatches === 0 && sharedSliceWatches.activeWatches === 0, 10000);
    assert.equal((await echo(target, "after idle")).podName, "pod-1");
    assert.equal(fixture.api.lists, 2);
  });

  it("leaves nothing that keeps a process alive: a script that resolves, calls and closes exits by itself", async () => {
    publish(fixture, "echo-exit", "echo-exit-1", [servers[0]]);
    const dist = path.resolve(__dirname, "..", "..", "..");
    const script = `
      const grpc = require(${JSON.stringify(require.resolve("@grpc/grpc-js"))});
      const { registerKubernetesResolver } = require(${JSON.stringify(path.join(dist, "echo", "kubernetes", "register.js"))});
      const { loadEchoProto } = require(${JSON.stringify(path.join(dist, "echo", "proto.js"))});
      registerKubernetesResolver();
      const { Client } = loadEchoProto();
      const client = new Client("kubernetes:///echo-exit.${NS}:grpc", grpc.credentials.createInsecure(), ${JSON.stringify(ROUND_ROBIN)});
      client.echo({ message: "hi" }, { deadline: Date.now() + 10000 }, (error, response) => {
        console.log(JSON.stringify({ error: error && error.message, pod: response && response.podName }));
        client.close();
      });
    `;
    const child = spawn(process.execPath, ["-e", script], { env: { PATH: process.env.PATH ?? "", ...fixture.env() }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (data) => (output += data));
    child.stderr.on("data", (data) => (output += data));
    const started = Date.now();
    let answeredAt = 0;
    child.stdout.on("data", () => (answeredAt ||= Date.now()));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        resolve(null);
      }, 15000);
      child.once("exit", (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
    assert.equal(code, 0, `the script did not exit by itself within 15 s: ${output}`);
    assert.deepEqual(JSON.parse(output.trim().split("\n")[0]), { error: null, pod: "pod-1" });
    assert.ok(Date.now() - answeredAt < 3000, `exited ${Date.now() - answeredAt} ms after closing (started ${Date.now() - started} ms ago)`);
    await until("the script's watch closed", () => fixture.api.openWatches === 0);
  });
});
