// A stand-in Kubernetes API server on loopback for exactly what the kubernetes: resolver
// uses: list and watch of discovery.k8s.io/v1 EndpointSlices by service label, over HTTPS
// with bearer tokens, with the real server's resourceVersions, bookmarks, 401/403/404/410
// answers and Status objects. Faults on demand (410, dropped or silent watches) and
// counters let tests see what a client did. Used by the unit tests and the lab.
import * as fs from "node:fs";
import * as https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import * as path from "node:path";
import { apiSettingsEnv } from "../echo/kubernetes/apiConnection";
import type { EndpointSlice, SliceEndpoint, SlicePort } from "../echo/kubernetes/endpointSlices";

const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
const COLLECTION_PATH = /^\/apis\/discovery\.k8s\.io\/v1\/namespaces\/([^/]+)\/endpointslices$/;
/** A real server picks 30..60 min when the client gives no timeoutSeconds. */
const DEFAULT_WATCH_TIMEOUT_SECONDS = 1800;

/** lab/tls from the source tree and from dist/lab alike. */
function tlsDir(): string {
  const candidates = [path.join(__dirname, "tls"), path.join(__dirname, "..", "..", "lab", "tls")];
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, "kube-api-stand-in.crt")));
  if (!found) throw new Error(`lab/tls/kube-api-stand-in.crt not found (looked in ${candidates.join(", ")})`);
  return found;
}

/** The stand-in's self-signed certificate, also its CA (a TEST-ONLY key: see lab/tls/make-stand-in-cert.sh). */
export function standInCertificate(): { cert: Buffer; key: Buffer } {
  const dir = tlsDir();
  return { cert: fs.readFileSync(path.join(dir, "kube-api-stand-in.crt")), key: fs.readFileSync(path.join(dir, "kube-api-stand-in.key")) };
}

/** Writes the CA a client needs to trust the stand-in (for ECHO_K8S_CA_FILE). */
export function writeStandInCaFile(file: string): void {
  fs.writeFileSync(file, standInCertificate().cert);
}

/** Replaces a token file atomically (write, then rename), as the kubelet swaps a projected token. */
export function swapTokenFile(file: string, token: string): void {
  const next = `${file}.${process.pid}.next`;
  fs.writeFileSync(next, `${token}\n`);
  fs.renameSync(next, file);
}

export interface EndpointSpec {
  ip: string;
  /** Left out when undefined, as the API does: absent ready/serving mean true, absent terminating false. */
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
  /** targetRef: the Pod's name. */
  pod?: string;
}

export interface SliceSpec {
  name: string;
  addressType?: "IPv4" | "IPv6" | "FQDN";
  endpoints: EndpointSpec[];
  ports: { name: string; port: number; protocol?: string }[];
}

/** An EndpointSlice as the API serves it (namespace, label and resourceVersion are set by the stand-in). */
export function endpointSlice(spec: SliceSpec): EndpointSlice {
  const endpoints: SliceEndpoint[] = spec.endpoints.map((e) => {
    const conditions: NonNullable<SliceEndpoint["conditions"]> = {};
    if (e.ready !== undefined) conditions.ready = e.ready;
    if (e.serving !== undefined) conditions.serving = e.serving;
    if (e.terminating !== undefined) conditions.terminating = e.terminating;
    return { addresses: [e.ip], conditions, ...(e.pod ? { targetRef: { kind: "Pod", name: e.pod } } : {}) };
  });
  const ports: SlicePort[] = spec.ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol ?? "TCP" }));
  return { metadata: { name: spec.name }, addressType: spec.addressType ?? "IPv4", endpoints, ports };
}

/** Environment for a client process to reach the stand-in (see echo/kubernetes/apiConnection.ts). */
export function clientEnv(host: string, port: number, tokenFile: string, caFile: string): Record<string, string> {
  return apiSettingsEnv({ host, port, tokenFile, caFile });
}

interface Stored {
  namespace: string;
  service: string;
  object: EndpointSlice;
}

interface HistoryEvent extends Stored {
  revision: number;
  type: "ADDED" | "MODIFIED" | "DELETED";
}

interface OpenWatch {
  namespace: string;
  /** undefined: every service in the namespace. */
  service?: string;
  bookmarks: boolean;
  response: ServerResponse;
  /** A silent watch never sends anything and never times out: a half-open connection. */
  silent: boolean;
  timer?: NodeJS.Timeout;
}

export interface WatchRequest {
  namespace: string;
  resourceVersion: string | undefined;
  timeoutSeconds: number | undefined;
  token: string;
}

function status(code: number, reason: string, message: string, details: object = {}): object {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, details, code };
}

export interface StandInOptions {
  /** Bearer tokens answered; any other gets 401. */
  tokens?: string[];
  /** The user named in 403 messages; default system:serviceaccount:<namespace>:echo-client. */
  user?: string;
}

export class KubeApiStandIn {
  private server?: https.Server;
  private readonly sockets = new Set<Socket>();
  private readonly slices = new Map<string, Stored>();
  private readonly history: HistoryEvent[] = [];
  private readonly watchesOpen = new Set<OpenWatch>();
  private revision = 1000;
  /** Watches from a resourceVersion below this get 410 Gone (the history was compacted). */
  private oldestRevision = 1000;
  private readonly acceptedTokens: Set<string>;
  private forbidAll = false;
  private readonly forbiddenNamespaces = new Set<string>();
  private nextWatchStatuses: number[] = [];
  /** false: 404 for EndpointSlices too, as from an API server without discovery.k8s.io/v1. */
  servesEndpointSlices = true;
  private silentWatchesToCome = 0;

  // Counters for tests.
  lists = 0;
  watches = 0;
  unauthorized = 0;
  readonly requestsByToken = new Map<string, number>();
  readonly watchRequests: WatchRequest[] = [];
  port = 0;

  constructor(private readonly options: StandInOptions = {}) {
    this.acceptedTokens = new Set(options.tokens ?? ["stand-in-token"]);
  }

  /** Listens on host (127.0.0.1 or ::1) and resolves with the port. */
  start(host = "127.0.0.1", port = 0): Promise<number> {
    const server = https.createServer(standInCertificate(), (request, response) => this.handle(request, response));
    this.server = server;
    server.on("connection", (socket: Socket) => {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
    });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        this.port = (server.address() as { port: number }).port;
        resolve(this.port);
      });
    });
  }

  /** Ends every watch and closes every socket. */
  async stop(): Promise<void> {
    for (const watch of this.watchesOpen) clearTimeout(watch.timer);
    this.watchesOpen.clear();
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // --- what the cluster holds -------------------------------------------------------------

  get resourceVersion(): string {
    return String(this.revision);
  }

  /** Creates or replaces a slice of `service` (ADDED or MODIFIED to the watches). */
  putSlice(namespace: string, service: string, slice: EndpointSlice): void {
    const key = `${namespace}/${slice.metadata.name}`;
    const type = this.slices.has(key) ? "MODIFIED" : "ADDED";
    const object: EndpointSlice = structuredClone(slice);
    object.metadata = { ...object.metadata, namespace, labels: { ...object.metadata.labels, [SERVICE_NAME_LABEL]: service } };
    this.slices.set(key, { namespace, service, object });
    this.record(type, { namespace, service, object });
  }

  deleteSlice(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const stored = this.slices.get(key);
    if (!stored) throw new Error(`no slice ${key}`);
    this.slices.delete(key);
    this.record("DELETED", { ...stored, object: structuredClone(stored.object) });
  }

  /** Forgets the history up to now: a watch from an older resourceVersion gets 410 Gone. */
  compact(): void {
    this.oldestRevision = this.revision;
    this.history.splice(0);
  }

  private record(type: HistoryEvent["type"], stored: Stored): void {
    this.revision++;
    stored.object.metadata.resourceVersion = String(this.revision);
    const event: HistoryEvent = { ...stored, type, revision: this.revision };
    this.history.push(event);
    for (const watch of this.watchesOpen) if (this.matches(watch, event)) this.send(watch, type, event.object);
  }

  // --- access ------------------------------------------------------------------------------

  setTokens(tokens: string[]): void {
    this.acceptedTokens.clear();
    for (const token of tokens) this.acceptedTokens.add(token);
  }

  /** 403 for one namespace, or for all when none is given. */
  forbid(namespace?: string): void {
    if (namespace === undefined) this.forbidAll = true;
    else this.forbiddenNamespaces.add(namespace);
  }

  allow(namespace?: string): void {
    if (namespace === undefined || !this.servesEndpointSlices) {
      this.forbidAll = false;
      this.forbiddenNamespaces.clear();
    } else this.forbiddenNamespaces.delete(namespace);
  }

  // --- faults and events on demand ---------------------------------------------------------

  /** The next watch request(s) get this HTTP status (410 by default) instead of a stream. */
  failNextWatch(code = 410, count = 1): void {
    this.nextWatchStatuses.push(...Array<number>(count).fill(code));
  }

  /** Every open watch gets an ERROR event with a 410 Status in its 200 stream, then ends. */
  expireWatches(): void {
    for (const watch of [...this.watchesOpen]) {
      this.send(watch, "ERROR", status(410, "Expired", `too old resource version: ${this.oldestRevision} (${this.revision})`));
      this.endWatch(watch);
    }
  }

  /** Every open watch gets a BOOKMARK with the current resourceVersion (if it asked for bookmarks). */
  bookmark(): void {
    const object = { kind: "EndpointSlice", apiVersion: "discovery.k8s.io/v1", metadata: { resourceVersion: this.resourceVersion } };
    for (const watch of this.watchesOpen) if (watch.bookmarks && !watch.silent) this.send(watch, "BOOKMARK", object);
  }

  /** Ends every open watch normally, as the server does at timeoutSeconds. */
  endWatches(): void {
    for (const watch of [...this.watchesOpen]) this.endWatch(watch);
  }

  /** Cuts every open watch's connection (no end of the chunked body). */
  dropWatches(): void {
    for (const watch of [...this.watchesOpen]) {
      this.forget(watch);
      watch.response.socket?.destroy();
    }
  }

  /** The next watch gets its headers, then nothing, ever: a half-open connection. */
  silenceNextWatch(): void {
    this.silentWatchesToCome++;
  }

  /** Watches open now (silent ones included). */
  get openWatches(): number {
    return this.watchesOpen.size;
  }

  // --- HTTP --------------------------------------------------------------------------------

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1] ?? "";
    this.requestsByToken.set(token, (this.requestsByToken.get(token) ?? 0) + 1);
    if (!this.acceptedTokens.has(token)) {
      this.unauthorized++;
      return this.answer(response, 401, status(401, "Unauthorized", "Unauthorized"));
    }
    const url = new URL(request.url ?? "/", "https://stand-in");
    const namespace = COLLECTION_PATH.exec(url.pathname)?.[1];
    if (namespace === undefined || !this.servesEndpointSlices) {
      return this.answer(response, 404, status(404, "NotFound", "the server could not find the requested resource"));
    }
    if (request.method !== "GET") {
      return this.answer(response, 405, status(405, "MethodNotAllowed", `the server does not allow this method on the requested resource`));
    }
    const watch = ["1", "true"].includes(url.searchParams.get("watch") ?? "");
    const verb = watch ? "watch" : "list";
    if (this.forbidAll || this.forbiddenNamespaces.has(namespace)) {
      const user = this.options.user ?? `system:serviceaccount:${namespace}:echo-client`;
      const message =
        `endpointslices.discovery.k8s.io is forbidden: User "${user}" cannot ${verb} resource "endpointslices" ` +
        `in API group "discovery.k8s.io" in the namespace "${namespace}"`;
      return this.answer(response, 403, status(403, "Forbidden", message, { group: "discovery.k8s.io", kind: "endpointslices" }));
    }
    let service: string | undefined;
    const selector = url.searchParams.get("labelSelector");
    if (selector) {
      const match = /^kubernetes\.io\/service-name==?([a-z0-9.-]+)$/.exec(selector);
      if (!match) {
        const message = `unable to parse requirement: ${selector} (the stand-in knows only ${SERVICE_NAME_LABEL}=<name>)`;
        return this.answer(response, 400, status(400, "BadRequest", message));
      }
      service = match[1];
    }
    if (watch) return this.watch(response, url, namespace, service, token);
    this.lists++;
    const items = [...this.slices.values()].filter((s) => s.namespace === namespace && (service === undefined || s.service === service));
    this.answer(response, 200, {
      kind: "EndpointSliceList",
      apiVersion: "discovery.k8s.io/v1",
      metadata: { resourceVersion: this.resourceVersion },
      items: items.map((s) => s.object),
    });
  }

  private answer(response: ServerResponse, code: number, body: object): void {
    response.writeHead(code, { "Content-Type": "application/json", "Cache-Control": "no-cache, private" });
    response.end(JSON.stringify(body));
  }

  private watch(response: ServerResponse, url: URL, namespace: string, service: string | undefined, token: string): void {
    this.watches++;
    const resourceVersion = url.searchParams.get("resourceVersion") ?? undefined;
    const timeoutText = url.searchParams.get("timeoutSeconds");
    const timeoutSeconds = timeoutText === null ? undefined : Number(timeoutText);
    this.watchRequests.push({ namespace, resourceVersion, timeoutSeconds, token });
    const injected = this.nextWatchStatuses.shift();
    if (injected !== undefined) {
      const reason = injected === 410 ? "Expired" : "InternalError";
      return this.answer(response, injected, status(injected, reason, injected === 410 ? `too old resource version: ${resourceVersion}` : "injected"));
    }
    const watch: OpenWatch = {
      namespace,
      service,
      bookmarks: url.searchParams.get("allowWatchBookmarks") === "true",
      response,
      silent: this.silentWatchesToCome > 0,
    };
    if (watch.silent) this.silentWatchesToCome--;
    response.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-cache, private" });
    response.flushHeaders();
    this.watchesOpen.add(watch);
    response.once("close", () => this.forget(watch));
    if (watch.silent) return;

    const from = resourceVersion === undefined || resourceVersion === "" || resourceVersion === "0" ? undefined : Number(resourceVersion);
    if (from !== undefined && (!Number.isInteger(from) || from < this.oldestRevision)) {
      // What a current API server does: a 200 stream with one ERROR event, then the end.
      this.send(watch, "ERROR", status(410, "Expired", `too old resource version: ${resourceVersion} (${this.revision})`));
      return this.endWatch(watch);
    }
    if (from === undefined) {
      for (const stored of this.slices.values()) if (this.matches(watch, stored)) this.send(watch, "ADDED", stored.object);
    } else {
      for (const event of this.history) if (event.revision > from && this.matches(watch, event)) this.send(watch, event.type, event.object);
    }
    watch.timer = setTimeout(() => this.endWatch(watch), (timeoutSeconds ?? DEFAULT_WATCH_TIMEOUT_SECONDS) * 1000);
  }

  private matches(watch: OpenWatch, stored: Stored): boolean {
    return stored.namespace === watch.namespace && (watch.service === undefined || stored.service === watch.service);
  }

  private send(watch: OpenWatch, type: string, object: object): void {
    if (watch.silent) return;
    // Watch events carry kind and apiVersion; list items do not.
    const typed = ["ADDED", "MODIFIED", "DELETED"].includes(type) ? { kind: "EndpointSlice", apiVersion: "discovery.k8s.io/v1", ...object } : object;
    watch.response.write(`${JSON.stringify({ type, object: typed })}\n`);
  }

  private endWatch(watch: OpenWatch): void {
    this.forget(watch);
    watch.response.end();
  }

  private forget(watch: OpenWatch): void {
    clearTimeout(watch.timer);
    this.watchesOpen.delete(watch);
  }
}
