// The shared list+watch of a Service's EndpointSlices, against the stand-in API server
// over real HTTPS on loopback: events, resourceVersions, faults, errors, sharing.
import { strict as assert } from "node:assert";
import type { IncomingMessage } from "node:http";
import { ApiConnection, apiSettingsFromEnv } from "../../../echo/kubernetes/apiConnection";
import { ServiceRef, SliceWatchRegistry, SliceWatchTimings } from "../../../echo/kubernetes/sliceWatch";
import { SliceSpec, StandInOptions, endpointSlice, swapTokenFile } from "../../../lab/kubeApiStandIn";
import { Cleanup } from "../../support/cleanup";
import { ApiFixture, FAST, Recorder, startApiFixture, until } from "./apiFixture";

const NS = "ns";
const ECHO: ServiceRef = { namespace: NS, service: "echo", port: "grpc" };
const GRPC = [{ name: "grpc", port: 8080 }];
const ONE: SliceSpec = { name: "echo-a", endpoints: [{ ip: "10.0.0.1" }], ports: GRPC };
/** Watches the stand-in does not end by itself during a test. */
const LONG_WATCH: Partial<SliceWatchTimings> = { ...FAST, watchTimeoutSeconds: 60 };

function slice(name: string, ips: string[], ports = GRPC): ReturnType<typeof endpointSlice> {
  return endpointSlice({ name, endpoints: ips.map((ip) => ({ ip, pod: `pod-${ip}` })), ports });
}

describe("EndpointSlice watch (stand-in API over HTTPS)", () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  interface Watching extends ApiFixture {
    recorder: Recorder;
    watches: SliceWatchRegistry;
  }

  /** The stand-in with `slices` of service echo, and one subscriber to echo's `grpc` port. */
  async function watching(
    slices: SliceSpec[] = [],
    timings: Partial<SliceWatchTimings> = FAST,
    options: StandInOptions = {},
    host?: string,
  ): Promise<Watching> {
    const fixture = await startApiFixture(cleanup, options, host);
    for (const spec of slices) fixture.api.putSlice(NS, "echo", endpointSlice(spec));
    const registry = fixture.registry(timings);
    const recorder = new Recorder();
    cleanup.add(registry.subscribe(ECHO, recorder.listener));
    return { ...fixture, watches: registry, recorder };
  }

  it("follows ADDED, MODIFIED and DELETED across several slices: the union, deduped; a DELETED slice takes only its own", async () => {
    const { api, recorder } = await watching([
      { name: "echo-a", endpoints: [{ ip: "10.0.0.1" }, { ip: "10.0.0.2" }], ports: GRPC },
      { name: "echo-b", endpoints: [{ ip: "10.0.0.2" }, { ip: "10.0.0.3" }], ports: GRPC },
    ]);
    await recorder.waitForEndpoints(["10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080"]);
    await until("watch open", () => api.openWatches === 1);
    api.putSlice(NS, "echo", slice("echo-c", ["10.0.0.4"]));
    await recorder.waitForEndpoints(["10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080", "10.0.0.4:8080"]);
    api.deleteSlice(NS, "echo-a");
    await recorder.waitForEndpoints(["10.0.0.2:8080", "10.0.0.3:8080", "10.0.0.4:8080"]);
    api.putSlice(NS, "echo", slice("echo-b", ["10.0.0.3"]));
    await recorder.waitForEndpoints(["10.0.0.3:8080", "10.0.0.4:8080"]);
    assert.equal(api.lists, 1, "every change came by the watch");
    assert.equal(recorder.results.length, 4, JSON.stringify(recorder.results));
  });

  it("tells a subscriber only changes: a slice edit that moves no endpoint, or another service's slice, is not a result", async () => {
    const { api, recorder } = await watching([{ name: "echo-a", endpoints: [{ ip: "10.0.0.1", pod: "p1" }], ports: GRPC }]);
    await recorder.waitForEndpoints(["10.0.0.1:8080"]);
    await until("watch open", () => api.openWatches === 1);
    api.putSlice(NS, "echo", endpointSlice({ name: "echo-a", endpoints: [{ ip: "10.0.0.1", pod: "renamed" }], ports: GRPC }));
    api.putSlice(NS, "other", slice("other-a", ["10.0.0.9"]));
    api.putSlice("elsewhere", "echo", slice("echo-a", ["10.0.0.8"]));
    api.putSlice(NS, "echo", slice("echo-a", ["10.0.0.1", "10.0.0.2"]));
    await recorder.waitForEndpoints(["10.0.0.1:8080", "10.0.0.2:8080"]);
    assert.deepEqual(
      recorder.results.map((r) => (r.kind === "endpoints" ? r.endpoints.length : r.kind)),
      [1, 2],
    );
  });

  it("applies every ready/serving/terminating combination as it changes, with the fallback and the empty case", async () => {
    const { api, recorder } = await watching([
      {
        name: "echo-a",
        endpoints: [
          { ip: "10.0.0.1" },
          { ip: "10.0.0.2", ready: true, serving: true, terminating: false },
          { ip: "10.0.0.3", ready: false, serving: false, terminating: false },
          { ip: "10.0.0.4", ready: false, serving: true, terminating: true },
        ],
        ports: GRPC,
      },
    ]);
    await recorder.waitForEndpoints(["10.0.0.1:8080", "10.0.0.2:8080"]);
    api.putSlice(
      NS,
      "echo",
      endpointSlice({
        name: "echo-a",
        endpoints: [
          { ip: "10.0.0.3", ready: false, serving: false, terminating: false },
          { ip: "10.0.0.4", ready: false, serving: true, terminating: true },
          { ip: "10.0.0.5", ready: false, serving: false, terminating: true },
        ],
        ports: GRPC,
      }),
    );
    await recorder.waitForEndpoints(["10.0.0.4:8080"]);
    const gone = { ip: "10.0.0.5", ready: false, serving: false, terminating: true };
    api.putSlice(NS, "echo", endpointSlice({ name: "echo-a", endpoints: [gone], ports: GRPC }));
    const last = await recorder.waitFor("no endpoints", (r) => r.kind === "endpoints" && r.endpoints.length === 0);
    assert.deepEqual(last, { kind: "endpoints", endpoints: [], whyEmpty: "1 endpoint(s), none ready" });
  });

  it("looks named ports up per slice, and shares one watch between subscribers of different ports", async () => {
    const { api, watches: registry, recorder } = await watching([
      { name: "echo-a", endpoints: [{ ip: "10.0.0.1" }], ports: [{ name: "grpc", port: 8080 }] },
      { name: "echo-b", endpoints: [{ ip: "10.0.0.2" }], ports: [{ name: "grpc", port: 9090 }] },
      { name: "echo-c", endpoints: [{ ip: "10.0.0.3" }], ports: [{ name: "metrics", port: 9100 }] },
    ]);
    const byNumber = new Recorder();
    cleanup.add(registry.subscribe({ ...ECHO, port: 7000 }, byNumber.listener));
    await recorder.waitForEndpoints(["10.0.0.1:8080", "10.0.0.2:9090"]);
    await byNumber.waitForEndpoints(["10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000"]);
    await until("watch open", () => api.openWatches === 1);
    assert.equal(registry.activeWatches, 1);
    assert.equal(api.lists, 1);
    assert.equal(api.watches, 1);
  });

  it("reads IPv6 slices, from an API server on ::1", async () => {
    const { recorder } = await watching(
      [
        { name: "echo-v6", addressType: "IPv6", endpoints: [{ ip: "fd00::2" }, { ip: "fd00::1", ready: false }], ports: GRPC },
        { name: "echo-v4", endpoints: [{ ip: "10.0.0.1" }], ports: GRPC },
      ],
      FAST,
      {},
      "::1",
    );
    const last = await recorder.waitFor("endpoints", (r) => r.kind === "endpoints");
    assert.deepEqual(last, {
      kind: "endpoints",
      endpoints: [
        { host: "10.0.0.1", port: 8080 },
        { host: "fd00::2", port: 8080 },
      ],
    });
  });

  it("moves its resourceVersion with bookmarks: the re-watch after a normal end starts from the bookmark's", async () => {
    const { api, recorder } = await watching([ONE], LONG_WATCH);
    await recorder.waitForEndpoints(["10.0.0.1:8080"]);
    await until("watch open", () => api.openWatches === 1);
    const echoVersion = api.resourceVersion;
    api.putSlice(NS, "other", slice("other-a", ["10.0.0.9"]));
    api.putSlice(NS, "other", slice("other-a", ["10.0.0.8"]));
    api.bookmark();
    const bookmarkVersion = api.resourceVersion;
    assert.notEqual(bookmarkVersion, echoVersion);
    // History before the bookmark is gone: a re-watch from echo's own version would get 410.
    api.compact();
    api.endWatches();
    await until("re-watch", () => api.watches === 2 && api.openWatches === 1);
    assert.equal(api.watchRequests[0].resourceVersion, echoVersion);
    assert.equal(api.watchRequests[1].resourceVersion, bookmarkVersion);
    assert.equal(api.watchRequests[1].timeoutSeconds, 60);
    assert.equal(api.lists, 1, "no relist was needed");
  });

  it("relists after a watch answered with HTTP 410 Gone", async () => {
    const { api, recorder } = await watching([ONE], LONG_WATCH);
    await recorder.waitForEndpoints(["10.0.0.1:8080"]);
    await until("watch open", () => api.openWatches === 1);
    api.failNextWatch(410);
    api.endWatches();
    await until("relist and watch again", () => api.lists === 2 && api.watches === 3 && api.openWatches === 1);
    api.putSlice(NS, "echo", slice("echo-b", ["10.0.0.2"]));
    await recorder.waitForEndpoints(["10.0.0.1:8080", "10.0.0.2:8080"]);
  });

  it("relists after a 410 ERROR event inside a 200 watch stream, and after a re-watch from a compacted version", async () => {
    const { api, recorder } = await watching([ONE], LONG_WATCH);
    await recorder.waitForEndpoints(["10.0.0.1:8080"]);
    await until("watch open", () => api.openWatches === 1);
    api.expireWatches();
    await until("relist after the ERROR event", () => api.lists === 2 && api.openWatches === 1);

    // Cut off, changed and compacted before the client is back: its re-watch gets 410, the relist has the change.
    api.dropWatches();
    api.putSlice(NS, "echo", slice("echo-b", ["10.0.0.2"]));
    api.compact();
    await recorder.waitForEndpoints(["10.0.0.1:8080", "10.0.0.2:8080"]);
    assert.equal(api.lists, 3);
  });

  it("re-watches a dropped stream from its resourceVersion and loses no change made meanwhile", async () => {
    const { api, recorder } = await watching([ONE], LONG_WATCH);
    await recorder.waitForEndpoints(["10.0.0.1:8080"]);
    await until("watch open", () => api.openWatches === 1);
    api.dropWatches();
    api.putSlice(NS, "echo", slice("echo-b", ["10.0.0.2"]));
    api.deleteSlice(NS, "echo-a");
    await recorder.waitForEndpoints(["10.0.0.2:8080"]);
    assert.equal(api.lists, 1, "the replay from the resourceVersion carried the changes");
    assert.equal(api.watches, 2);
    assert.ok(recorder.results.every((r) => r.kind === "endpoints"), "the drop was no error to subscribers");
  });

  it("aborts a silent (half-open) watch after timeoutSeconds plus the grace, and gets the change by the next watch", async () => {
    const { api, recorder } = await watching([ONE], {
      ...FAST,
      watchTimeoutSeconds: 1,
      watchdogGraceMs: 300,
    });
    await recorder.waitForEndpoints(["10.0.0.1:8080"]);
    await until("watch open", () => api.openWatches === 1);
    api.silenceNextWatch();
    api.endWatches();
    const silentWatch = api.watches + 1;
    await until("the silent watch", () => api.watches === silentWatch && api.openWatches === 1);
    api.putSlice(NS, "echo", slice("echo-b", ["10.0.0.2"]));
    await recorder.waitForEndpoints(["10.0.0.1:8080", "10.0.0.2:8080"], 5000);
    assert.ok(api.watches > silentWatch, "the change came by a later watch");
    assert.equal(api.lists, 1);
  });

  it("after a 401 reads the swapped token file and goes on without an error; a token never accepted is an error that says so", async () => {
    const { api, recorder, tokenFile } = await watching([ONE], LONG_WATCH);
    await recorder.waitForEndpoints(["10.0.0.1:8080"]);
    await until("watch open", () => api.openWatches === 1);
    swapTokenFile(tokenFile, "rotated");
    api.setTokens(["rotated"]);
    api.dropWatches();
    await until("re-watch with the new token", () => api.openWatches === 1 && api.requestsByToken.get("rotated") === 1);
    assert.equal(api.unauthorized, 1);
    api.putSlice(NS, "echo", slice("echo-b", ["10.0.0.2"]));
    await recorder.waitForEndpoints(["10.0.0.1:8080", "10.0.0.2:8080"]);
    assert.ok(recorder.results.every((r) => r.kind === "endpoints"));

    const rejecting = await startApiFixture(cleanup);
    swapTokenFile(rejecting.tokenFile, "never-accepted");
    const rejected = new Recorder();
    // A slow backoff: exactly one attempt (two requests) before the error is seen.
    cleanup.add(rejecting.registry({ ...FAST, backoffBaseMs: 10_000, backoffMaxMs: 10_000 }).subscribe(ECHO, rejected.listener));
    const error = await rejected.waitFor("an error", (r) => r.kind === "error");
    assert.equal(rejecting.api.requestsByToken.get("never-accepted"), 2, "read again and tried once more");
    assert.match(JSON.stringify(error), /401 Unauthorized: the API rejected the token from .*token, also after reading it again/);
  });

  it("reports 403 naming namespace, endpointslices, discovery.k8s.io, list and watch, and the API's message; recovers when allowed", async () => {
    const fixture = await startApiFixture(cleanup);
    fixture.api.forbid(NS);
    fixture.api.putSlice(NS, "echo", slice("echo-a", ["10.0.0.1"]));
    const recorder = new Recorder();
    cleanup.add(fixture.registry().subscribe(ECHO, recorder.listener));
    const error = await recorder.waitFor("403", (r) => r.kind === "error");
    assert.ok(error.kind === "error");
    for (const part of [
      'service "echo" in namespace "ns"',
      "403 Forbidden",
      'allowing the verbs list and watch on the resource "endpointslices" in the API group "discovery.k8s.io"',
      'the API says: endpointslices.discovery.k8s.io is forbidden: User "system:serviceaccount:ns:echo-client" cannot list resource "endpointslices"',
    ]) {
      assert.ok(error.message.includes(part), `${JSON.stringify(part)} not in: ${error.message}`);
    }
    fixture.api.allow(NS);
    await recorder.waitForEndpoints(["10.0.0.1:8080"]);
  });

  it("reports 404 (no EndpointSlice API) and an empty Service, each with its reason", async () => {
    const { recorder } = await watching();
    const empty = await recorder.waitFor("empty", (r) => r.kind === "endpoints");
    const whyEmpty = "the Service has no EndpointSlices (is there a Service by that name, with a selector?)";
    assert.deepEqual(empty, { kind: "endpoints", endpoints: [], whyEmpty });

    const fresh = await startApiFixture(cleanup);
    fresh.api.servesEndpointSlices = false;
    const notFound = new Recorder();
    cleanup.add(fresh.registry().subscribe(ECHO, notFound.listener));
    const error = await notFound.waitFor("404", (r) => r.kind === "error");
    assert.match(JSON.stringify(error), /404 Not Found: the API server does not serve discovery.k8s.io\/v1 endpointslices/);
  });

  it("keeps the last endpoints while the API server is down, and follows again when it is back", async () => {
    const fixture = await startApiFixture(cleanup);
    fixture.api.putSlice(NS, "echo", slice("echo-a", ["10.0.0.1"]));
    let attempts = 0;
    class CountingConnection extends ApiConnection {
      get(path: string, signal: AbortSignal): Promise<IncomingMessage> {
        attempts++;
        return super.get(path, signal);
      }
    }
    const registry = new SliceWatchRegistry(() => new CountingConnection(fixture.settings()), { ...FAST, watchTimeoutSeconds: 60 });
    const recorder = new Recorder();
    cleanup.add(registry.subscribe(ECHO, recorder.listener));
    await recorder.waitForEndpoints(["10.0.0.1:8080"]);
    await until("watch open", () => fixture.api.openWatches === 1);

    await fixture.api.stop();
    const before = attempts;
    await until("several failed reconnects", () => attempts >= before + 4);
    // The same endpoints throughout, each result after the first saying why they are only
    // the last known ones (the reason changes as the outage goes on: aborted, refused).
    assert.ok(recorder.results.length >= 2, `no result said why: ${JSON.stringify(recorder.results)}`);
    for (const kept of recorder.results.slice(1)) {
      assert.ok(kept.kind === "endpoints" && kept.stale !== undefined, JSON.stringify(kept));
      assert.deepEqual(kept.endpoints, [{ host: "10.0.0.1", port: 8080 }]);
      assert.match(kept.stale, /cannot watch the endpoints/);
    }

    fixture.api.putSlice(NS, "echo", slice("echo-b", ["10.0.0.2"]));
    await fixture.api.start(fixture.host, fixture.port);
    await recorder.waitForEndpoints(["10.0.0.1:8080", "10.0.0.2:8080"], 10000);
  });

  it("reports an outage as an error when no endpoints are known", async () => {
    const fixture = await startApiFixture(cleanup);
    await fixture.api.stop();
    const recorder = new Recorder();
    cleanup.add(fixture.registry().subscribe(ECHO, recorder.listener));
    const error = await recorder.waitFor("error", (r) => r.kind === "error");
    assert.match(JSON.stringify(error), /cannot reach the Kubernetes API at https:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/);
  });

  it("reports missing KUBERNETES_SERVICE_HOST/PORT to the subscriber", async () => {
    const registry = new SliceWatchRegistry(() => new ApiConnection(apiSettingsFromEnv({})));
    const recorder = new Recorder();
    cleanup.add(registry.subscribe(ECHO, recorder.listener));
    const error = await recorder.waitFor("error", (r) => r.kind === "error");
    assert.match(JSON.stringify(error), /KUBERNETES_SERVICE_HOST: not set: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT/);
  });

  it("runs one watch per Service for all subscribers; the last unsubscribe closes it", async () => {
    const fixture = await startApiFixture(cleanup);
    const { api } = fixture;
    api.putSlice(NS, "echo", slice("echo-a", ["10.0.0.1"]));
    const registry = fixture.registry({ ...FAST, watchTimeoutSeconds: 60 });
    const [first, second, other] = [new Recorder(), new Recorder(), new Recorder()];
    const unsubscribeFirst = registry.subscribe(ECHO, first.listener);
    const unsubscribeSecond = registry.subscribe(ECHO, second.listener);
    const unsubscribeOther = registry.subscribe({ ...ECHO, service: "other" }, other.listener);
    // Also after a failed assertion (unsubscribing twice is harmless).
    cleanup.add(() => [unsubscribeFirst, unsubscribeSecond, unsubscribeOther].forEach((unsubscribe) => unsubscribe()));
    await first.waitForEndpoints(["10.0.0.1:8080"]);
    await second.waitForEndpoints(["10.0.0.1:8080"]);
    await until("two watches open", () => api.openWatches === 2);
    assert.equal(registry.activeWatches, 2);
    assert.equal(api.lists, 2, "one list per Service");

    unsubscribeOther();
    await until("other's watch closed", () => api.openWatches === 1);
    unsubscribeSecond();
    unsubscribeSecond(); // twice is harmless
    assert.equal(registry.activeWatches, 1);
    unsubscribeFirst();
    assert.equal(registry.activeWatches, 0);
    await until("every watch closed", () => api.openWatches === 0);
    api.putSlice(NS, "echo", slice("echo-b", ["10.0.0.2"]));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(first.results.length, 1, "no result after unsubscribing");
  });
});
