// List+watch of one Service's EndpointSlices, shared by every channel of the process that
// targets that Service: one watch per (namespace, service), reference-counted. It keeps
// the set of slices current (resourceVersions, bookmarks, 410 -> relist, a watchdog for
// half-open streams, backoff with jitter) and tells each subscriber its endpoints, or the
// problem, only when that changes.
import type { IncomingMessage } from "node:http";
import { ApiConnection, apiSettingsFromEnv } from "./apiConnection";
import { EndpointSlice, HostPort, PortSelector, routableEndpoints, whyNoEndpoints } from "./endpointSlices";

export interface SliceWatchTimings {
  /** First reconnect delay after a failure; doubles per failure up to backoffMaxMs. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Each delay is scaled by a random factor in [1 - jitter, 1 + jitter]. */
  backoffJitter: number;
  /** The watch's timeoutSeconds; unset: a random 300..600 per watch, so clients do not re-watch in step. */
  watchTimeoutSeconds?: number;
  /** A watch silent for timeoutSeconds plus this long is taken for a half-open connection and aborted. */
  watchdogGraceMs: number;
  /** A list that has not answered by then is aborted and retried. */
  listTimeoutMs: number;
  /** A watch that ends sooner than this without one event counts as a failure (no spinning on a broken proxy). */
  minHealthyWatchMs: number;
}

export const DEFAULT_TIMINGS: SliceWatchTimings = {
  backoffBaseMs: 250,
  backoffMaxMs: 30_000,
  backoffJitter: 0.2,
  watchdogGraceMs: 30_000,
  listTimeoutMs: 30_000,
  minHealthyWatchMs: 1_000,
};

export interface ServiceRef {
  namespace: string;
  service: string;
  port: PortSelector;
}

/** What a subscriber is told: the endpoints (possibly none, and why), or why there are none known. */
/**
 * endpoints: what to route to; `whyEmpty` when there are none, `stale` when the API cannot be
 * read right now and these are the last endpoints it gave. error: nothing known, and why.
 */
export type ServiceResolution =
  | { kind: "endpoints"; endpoints: HostPort[]; whyEmpty?: string; stale?: string }
  | { kind: "error"; message: string };

export type ResolutionListener = (result: ServiceResolution) => void;

/** The watch's resourceVersion is too old: list again. */
class Gone extends Error {}

interface ApiStatus {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
}

interface WatchEvent {
  type: string;
  object: EndpointSlice & ApiStatus;
}

interface OpenRequest {
  response: IncomingMessage;
  /** Data arrived: the watchdog starts over. */
  progress: () => void;
  /** The watchdog's error if it aborted the request, else `error`. */
  explain: (error: unknown) => unknown;
  /** Stops the watchdog and closes the request's socket. */
  done: () => void;
}

interface Subscriber {
  port: PortSelector;
  listener: ResolutionListener;
  /** The last result given, as JSON: a listener hears only changes. */
  last?: string;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;

async function readBody(response: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new Error(`the API's answer is larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function randomTimeoutSeconds(): number {
  return 300 + Math.floor(Math.random() * 301);
}

class ServiceSliceWatch {
  private readonly subscribers = new Set<Subscriber>();
  private slices?: Map<string, EndpointSlice>;
  private resourceVersion?: string;
  private problem?: string;
  private needsList = true;
  private failures = 0;
  private stopped = false;
  private connection?: ApiConnection;
  private controller?: AbortController;
  private sleeping?: { timer: NodeJS.Timeout; wake: () => void };
  private readonly collectionPath: string;
  private readonly what: string;

  constructor(
    private readonly namespace: string,
    private readonly service: string,
    private readonly connect: () => ApiConnection,
    private readonly timings: SliceWatchTimings,
  ) {
    const selector = encodeURIComponent(`kubernetes.io/service-name=${service}`);
    this.collectionPath = `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/endpointslices?labelSelector=${selector}`;
    this.what = `service "${service}" in namespace "${namespace}"`;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  start(): void {
    try {
      this.connection = this.connect();
    } catch (error) {
      // A missing variable or CA file does not fix itself while the process runs: report, do not retry.
      this.setProblem(`cannot watch the endpoints of ${this.what}: ${(error as Error).message}`);
      return;
    }
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.controller?.abort();
    if (this.sleeping) {
      clearTimeout(this.sleeping.timer);
      this.sleeping.wake();
    }
    this.connection?.close();
  }

  add(subscriber: Subscriber): void {
    this.subscribers.add(subscriber);
    // Never inside subscribe(): a resolver must not call its listener synchronously.
    setImmediate(() => this.subscribers.has(subscriber) && this.deliver(subscriber));
  }

  remove(subscriber: Subscriber): void {
    this.subscribers.delete(subscriber);
  }

  /** This subscriber's result now, or undefined while nothing is known yet. */
  private resultFor(port: PortSelector): ServiceResolution | undefined {
    if (!this.slices) return this.problem === undefined ? undefined : { kind: "error", message: this.problem };
    const endpoints = routableEndpoints(this.slices, port);
    // Known endpoints outlive an API outage (said, so a log can show it); with none, the
    // API's problem is the better explanation.
    if (endpoints.length > 0) return { kind: "endpoints", endpoints, ...(this.problem === undefined ? {} : { stale: this.problem }) };
    if (this.problem !== undefined) return { kind: "error", message: this.problem };
    return { kind: "endpoints", endpoints, whyEmpty: whyNoEndpoints(this.slices, port) };
  }

  private deliver(subscriber: Subscriber): void {
    const result = this.resultFor(subscriber.port);
    if (result === undefined) return;
    const key = JSON.stringify(result);
    if (key === subscriber.last) return;
    subscriber.last = key;
    subscriber.listener(result);
  }

  private notify(): void {
    if (this.stopped) return;
    for (const subscriber of [...this.subscribers]) this.deliver(subscriber);
  }

  private setProblem(problem: string | undefined): void {
    if (problem === this.problem) return;
    this.problem = problem;
    this.notify();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (this.needsList) await this.list();
        await this.watch();
      } catch (error) {
        if (this.stopped) return;
        if (error instanceof Gone) this.needsList = true;
        else this.setProblem(`cannot watch the endpoints of ${this.what}: ${(error as Error).message}`);
        await this.sleep(this.nextBackoffMs());
      }
    }
  }

  private nextBackoffMs(): number {
    const { backoffBaseMs, backoffMaxMs, backoffJitter } = this.timings;
    const delay = Math.min(backoffMaxMs, backoffBaseMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    return delay * (1 + backoffJitter * (2 * Math.random() - 1));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.sleeping = undefined;
        resolve();
      }, ms);
      timer.unref();
      this.sleeping = { timer, wake: resolve };
    });
  }

  /**
   * GET `path`, abortable by `stop()` and by a watchdog that fires after `limitMs` without
   * progress (no headers, or no data on a watch): an error saying so replaces the bare AbortError.
   */
  private async request(path: string, limitMs: number, streamLimitMs = limitMs): Promise<OpenRequest> {
    // A stopped watch never opens another request (stop() may run inside a listener).
    if (this.stopped) throw new Error("the watch was stopped");
    const controller = new AbortController();
    this.controller = controller;
    let timedOut: Error | undefined;
    const arm = (ms: number) => {
      const timer = setTimeout(() => {
        timedOut = new Error(`no answer from the API for ${ms} ms (a half-open connection?)`);
        controller.abort(timedOut);
      }, ms);
      timer.unref();
      return timer;
    };
    // Headers within the list timeout; then, on a watch, data within its own longer limit.
    let watchdog = arm(limitMs);
    const explain = (error: unknown) => (timedOut && !this.stopped ? timedOut : error);
    const done = () => {
      clearTimeout(watchdog);
      controller.abort();
    };
    try {
      const response = await this.connection!.get(path, controller.signal);
      clearTimeout(watchdog);
      watchdog = arm(streamLimitMs);
      return { response, progress: () => watchdog.refresh(), explain, done };
    } catch (error) {
      done();
      throw explain(error);
    }
  }

  private async list(): Promise<void> {
    const { response, explain, done } = await this.request(this.collectionPath, this.timings.listTimeoutMs);
    try {
      if (response.statusCode !== 200) throw await this.apiError(response, "list");
      const body = JSON.parse(await readBody(response)) as { metadata?: { resourceVersion?: unknown }; items?: unknown };
      const version = body.metadata?.resourceVersion;
      if (typeof version !== "string" || !Array.isArray(body.items)) throw new Error("the list answer has no metadata.resourceVersion or items");
      const slices = new Map<string, EndpointSlice>();
      for (const item of body.items as EndpointSlice[]) slices.set(this.sliceName(item), item);
      this.slices = slices;
      this.resourceVersion = version;
      this.needsList = false;
      // Backoff starts over only after a healthy watch: a list that is followed by 410 after
      // 410 must not turn into a full LIST four times a second.
      this.problem = undefined;
      this.notify();
    } catch (error) {
      throw explain(error);
    } finally {
      done();
    }
  }

  private async watch(): Promise<void> {
    const timeoutSeconds = this.timings.watchTimeoutSeconds ?? randomTimeoutSeconds();
    const path =
      `${this.collectionPath}&watch=1&resourceVersion=${encodeURIComponent(this.resourceVersion ?? "")}` +
      `&allowWatchBookmarks=true&timeoutSeconds=${timeoutSeconds}`;
    const started = Date.now();
    const { response, progress, explain, done } = await this.request(path, this.timings.listTimeoutMs, timeoutSeconds * 1000 + this.timings.watchdogGraceMs);
    let streaming = false;
    let events = 0;
    const healthy = () => streaming && (events > 0 || Date.now() - started >= this.timings.minHealthyWatchMs);
    try {
      if (response.statusCode === 410) {
        response.resume();
        throw new Gone();
      }
      if (response.statusCode !== 200) throw await this.apiError(response, "watch");
      this.setProblem(undefined);
      streaming = true;
      response.setEncoding("utf8");
      let pending = "";
      for await (const chunk of response as AsyncIterable<string>) {
        progress();
        pending += chunk;
        if (pending.length > MAX_BODY_BYTES) throw new Error(`a watch event longer than ${MAX_BODY_BYTES} bytes`);
        for (let newline = pending.indexOf("\n"); newline >= 0; newline = pending.indexOf("\n")) {
          const line = pending.slice(0, newline).trim();
          pending = pending.slice(newline + 1);
          if (!line) continue;
          this.apply(JSON.parse(line) as WatchEvent);
          events++;
        }
      }
    } catch (error) {
      throw explain(error);
    } finally {
      done();
      // A watch that brought events or lasted was a success, however it ended: backoff starts over.
      if (healthy()) this.failures = 0;
    }
    // A normal end (the server's timeoutSeconds): the loop re-watches at once from the last resourceVersion.
    if (!healthy()) throw new Error("the watch ended at once without an event");
  }

  private sliceName(object: EndpointSlice): string {
    const name = object?.metadata?.name;
    if (typeof name !== "string") throw new Error("an EndpointSlice without metadata.name");
    return name;
  }

  private apply(event: WatchEvent): void {
    const object = event?.object;
    if (event?.type === "ERROR") {
      if (object?.code === 410) throw new Gone();
      throw new Error(`the watch reported ${object?.code ?? "an error"} ${object?.reason ?? ""}: ${object?.message ?? JSON.stringify(object)}`);
    }
    const version = object?.metadata?.resourceVersion;
    if (typeof version !== "string") throw new Error(`a ${event?.type} event without metadata.resourceVersion`);
    switch (event.type) {
      case "BOOKMARK":
        this.resourceVersion = version;
        return;
      case "ADDED":
      case "MODIFIED":
        this.slices!.set(this.sliceName(object), object);
        break;
      case "DELETED":
        this.slices!.delete(this.sliceName(object));
        break;
      default:
        throw new Error(`an unknown watch event type ${JSON.stringify(event.type)}`);
    }
    this.resourceVersion = version;
    this.notify();
  }

  private async apiError(response: IncomingMessage, verb: "list" | "watch"): Promise<Error> {
    const code = response.statusCode ?? 0;
    let says = "";
    try {
      const body = await readBody(response, 64 * 1024);
      try {
        says = (JSON.parse(body) as ApiStatus).message ?? body;
      } catch {
        says = body;
      }
    } catch {
      // the status code alone has to do
    }
    const theApiSays = says.trim() ? `; the API says: ${says.trim()}` : "";
    switch (code) {
      case 401:
        return new Error(
          `401 Unauthorized: the API rejected the token from ${this.connection!.settings.tokenFile}, also after reading it again${theApiSays}`,
        );
      case 403:
        return new Error(
          `403 Forbidden: not allowed to ${verb} endpointslices in namespace "${this.namespace}"; the client's ServiceAccount needs a Role ` +
            `in namespace "${this.namespace}" allowing the verbs list and watch on the resource "endpointslices" in the API group ` +
            `"discovery.k8s.io", and a RoleBinding to it${theApiSays}`,
        );
      case 404:
        return new Error(
          `404 Not Found: the API server does not serve discovery.k8s.io/v1 endpointslices (Kubernetes 1.21 or later has them)${theApiSays}`,
        );
      default:
        return new Error(`HTTP ${code} to a ${verb} of endpointslices${theApiSays}`);
    }
  }
}

/** One watch per (namespace, service), started by the first subscriber and stopped by the last. */
export class SliceWatchRegistry {
  private readonly watches = new Map<string, ServiceSliceWatch>();
  private readonly timings: SliceWatchTimings;

  constructor(
    private readonly connect: () => ApiConnection,
    timings: Partial<SliceWatchTimings> = {},
  ) {
    this.timings = { ...DEFAULT_TIMINGS, ...timings };
  }

  /**
   * Calls `listener` (never synchronously) with this Service's endpoints on `ref.port`, and
   * again whenever they or the problem change. Returns the unsubscribe; the last one stops
   * the watch, its sockets and its timers.
   */
  subscribe(ref: ServiceRef, listener: ResolutionListener): () => void {
    const key = `${ref.namespace}/${ref.service}`;
    let watch = this.watches.get(key);
    if (!watch) {
      watch = new ServiceSliceWatch(ref.namespace, ref.service, this.connect, this.timings);
      this.watches.set(key, watch);
      watch.start();
    }
    const subscriber: Subscriber = { port: ref.port, listener };
    watch.add(subscriber);
    const subscribed = watch;
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      subscribed.remove(subscriber);
      if (subscribed.subscriberCount === 0) {
        subscribed.stop();
        this.watches.delete(key);
      }
    };
  }

  /** Watches running now (one per watched Service). */
  get activeWatches(): number {
    return this.watches.size;
  }
}

/** The process's registry: the API server and credentials from the environment, read when a watch starts. */
export const sharedSliceWatches = new SliceWatchRegistry(() => new ApiConnection(apiSettingsFromEnv(process.env)));
