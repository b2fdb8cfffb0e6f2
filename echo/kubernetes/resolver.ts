// The grpc-js 1.14 resolver for `kubernetes:` targets: a channel gets the ready pods of a
// Service straight from its EndpointSlices (one shared watch per Service), pushed as they
// change, instead of polling DNS. When there is nothing to route to, it says why, so calls
// fail fast with that reason instead of waiting for their deadline.
import * as grpc from "@grpc/grpc-js";
import type { ChannelOptions } from "@grpc/grpc-js";
import { HostPort, PortSelector } from "./endpointSlices";
import { ServiceResolution, SliceWatchRegistry, sharedSliceWatches } from "./sliceWatch";

type GrpcUri = grpc.experimental.GrpcUri;
type ResolverListener = grpc.experimental.ResolverListener;

export interface KubernetesTarget {
  namespace: string;
  service: string;
  port: PortSelector;
}

export const EXPECTED_TARGET_FORMS =
  "kubernetes:///<service>.<namespace>:<port>, kubernetes:///<service>.<namespace>.svc.<domain>:<port> " +
  "or kubernetes://<namespace>/<service>:<port>, the port a Service port name (such as grpc) or a number";

/** Authority of a target that cannot be parsed: a valid host (RFC 2606), so the channel is made and reports the error. */
export const INVALID_TARGET_AUTHORITY = "invalid-target.kubernetes.invalid";

/** Re-emitting the same result on every updateResolution() would spin with round_robin: once a second at most. */
export const MIN_REEMIT_INTERVAL_MS = 1000;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** IANA service name, as Kubernetes checks port names: at most 15 characters, with a letter. */
const PORT_NAME = /^(?=.*[a-z])[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$/;

function parsePort(text: string): PortSelector {
  if (/^\d+$/.test(text)) {
    const port = Number(text);
    if (port >= 1 && port <= 65535) return port;
    throw new Error(`port ${text} is not between 1 and 65535`);
  }
  if (PORT_NAME.test(text)) return text;
  throw new Error(text ? `${JSON.stringify(text)} is neither a port number nor a port name` : "no port");
}

function checkLabel(what: string, value: string | undefined): string {
  if (!value) throw new Error(`no ${what}`);
  if (!DNS_LABEL.test(value)) throw new Error(`${what} ${JSON.stringify(value)} is not a DNS label (lower-case letters, digits, '-')`);
  return value;
}

/** Throws an error that names the target and the forms it could have had. */
export function parseKubernetesTarget(target: GrpcUri): KubernetesTarget {
  try {
    const colon = target.path.lastIndexOf(":");
    if (colon < 0) throw new Error("no port");
    const name = target.path.slice(0, colon);
    const port = parsePort(target.path.slice(colon + 1));
    if (target.authority) {
      return { namespace: checkLabel("namespace", target.authority), service: checkLabel("service", name), port };
    }
    const [service, namespace, svc, ...domain] = name.split(".");
    if (svc !== undefined && (svc !== "svc" || domain.some((label) => !label))) {
      throw new Error(`${JSON.stringify(name)} is not <service>.<namespace> nor <service>.<namespace>.svc.<domain>`);
    }
    return { service: checkLabel("service", service), namespace: checkLabel("namespace", namespace), port };
  } catch (error) {
    throw new Error(`invalid target ${grpc.experimental.uriToString(target)}: ${(error as Error).message}; expected ${EXPECTED_TARGET_FORMS}`);
  }
}

/** What a resolver gave its channel, for observers: endpoints (possibly none), an error, or both (none, and why). */
export interface ResolverReport {
  endpoints?: HostPort[];
  error?: { code: grpc.status; message: string };
  /** Endpoints kept from before the API became unreadable, and why it is. */
  warning?: string;
}

export type ReportSink = (target: string, report: ResolverReport) => void;

export class KubernetesResolver implements grpc.experimental.Resolver {
  private readonly target: string;
  private readonly service?: KubernetesTarget;
  private readonly invalidTarget?: string;
  private active = false;
  private unsubscribe?: () => void;
  private current?: ServiceResolution;
  private lastEmitAt = -Infinity;
  private pending?: { cancel: () => void };

  /** grpc-js passes the first three; `report` and `watches` are for registration and tests. */
  constructor(
    target: GrpcUri,
    private readonly listener: ResolverListener,
    _options: ChannelOptions,
    private readonly report?: ReportSink,
    private readonly watches: SliceWatchRegistry = sharedSliceWatches,
  ) {
    this.target = grpc.experimental.uriToString(target);
    try {
      this.service = parseKubernetesTarget(target);
    } catch (error) {
      this.invalidTarget = (error as Error).message;
    }
  }

  /** `<service>.<namespace>.svc`: a valid URL host, as the :authority and TLS name. */
  static getDefaultAuthority(target: GrpcUri): string {
    try {
      const { service, namespace } = parseKubernetesTarget(target);
      return `${service}.${namespace}.svc`;
    } catch {
      return INVALID_TARGET_AUTHORITY;
    }
  }

  /**
   * Starts watching on the first call (and after destroy()); afterwards re-emits the current
   * result, at most once a second: round_robin calls this whenever a connection is lost.
   */
  updateResolution(): void {
    this.active = true;
    if (this.invalidTarget !== undefined) {
      this.current = { kind: "error", message: this.invalidTarget };
    } else if (!this.unsubscribe) {
      // The first result comes from the watch, asynchronously.
      this.unsubscribe = this.watches.subscribe(this.service!, (result) => {
        this.current = result;
        this.emitSoon();
      });
      return;
    }
    if (this.current) this.reemitRateLimited();
  }

  /** Stops listening to the watch (the last resolver of a Service stops the watch itself). */
  destroy(): void {
    this.active = false;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.current = undefined;
    this.pending?.cancel();
    this.pending = undefined;
  }

  /** A changed result goes out at once, but never synchronously. */
  private emitSoon(): void {
    this.pending?.cancel();
    const immediate = setImmediate(() => this.emit());
    this.pending = { cancel: () => clearImmediate(immediate) };
  }

  private reemitRateLimited(): void {
    if (this.pending) return;
    const waitMs = this.lastEmitAt + MIN_REEMIT_INTERVAL_MS - Date.now();
    if (waitMs <= 0) return this.emitSoon();
    const timer = setTimeout(() => this.emit(), waitMs);
    timer.unref();
    this.pending = { cancel: () => clearTimeout(timer) };
  }

  private emit(): void {
    this.pending = undefined;
    const result = this.current;
    if (!this.active || !result) return;
    this.lastEmitAt = Date.now();
    if (result.kind === "endpoints" && result.endpoints.length > 0) {
      const endpoints = result.endpoints.map(({ host, port }) => ({ addresses: [{ host, port }] }));
      this.listener(grpc.experimental.statusOrFromValue(endpoints), {}, null, result.stale ?? "");
      this.report?.(this.target, { endpoints: result.endpoints, ...(result.stale ? { warning: result.stale } : {}) });
      return;
    }
    const message =
      result.kind === "error"
        ? result.message
        : `no ready endpoints for service "${this.service!.service}" in namespace "${this.service!.namespace}" ` +
          `(port ${this.service!.port}): ${result.whyEmpty}`;
    // The empty list first: round_robin keeps its old endpoints through an error alone. Then
    // the error: with an empty list alone, calls would wait for their deadline.
    this.listener(grpc.experimental.statusOrFromValue([]), {}, null, message);
    if (!this.active) return; // destroyed by the listener itself
    this.listener(grpc.experimental.statusOrFromError({ code: grpc.status.UNAVAILABLE, details: message }), {}, null, message);
    this.report?.(this.target, {
      ...(result.kind === "endpoints" ? { endpoints: [] } : {}),
      error: { code: grpc.status.UNAVAILABLE, message },
    });
  }
}
