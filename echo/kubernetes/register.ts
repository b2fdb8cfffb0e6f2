// Makes `kubernetes:` targets work in grpc-js channels, and lets a log or a command see
// what the resolver tells the channels. Register before the first channel with such a
// target is created: grpc-js silently treats an unknown scheme as part of a dns: name.
import * as grpc from "@grpc/grpc-js";
import { hostPortToString } from "./endpointSlices";
import { KubernetesResolver, ResolverReport } from "./resolver";

import { KUBERNETES_SCHEME } from "./scheme";

export { KUBERNETES_SCHEME };

export interface ResolutionEvent {
  target: string;
  /** "ip:port", IPv6 as [ip]:port, sorted; [] with an error when no endpoint is ready. */
  endpoints?: string[];
  error?: { code: string; message: string };
  /** Set while the endpoints are the last ones the API gave and it cannot be read now: why. */
  warning?: string;
}

const listeners = new Set<(event: ResolutionEvent) => void>();
/** The last event per target, as JSON: listeners hear each change once, however many channels share the target. */
const lastByTarget = new Map<string, string>();

function toEvent(target: string, report: ResolverReport): ResolutionEvent {
  const event: ResolutionEvent = { target };
  if (report.endpoints) event.endpoints = report.endpoints.map(hostPortToString);
  if (report.error) event.error = { code: grpc.status[report.error.code], message: report.error.message };
  if (report.warning) event.warning = report.warning;
  return event;
}

function reportToListeners(target: string, report: ResolverReport): void {
  const event = toEvent(target, report);
  const key = JSON.stringify(event);
  if (lastByTarget.get(target) === key) return;
  lastByTarget.set(target, key);
  for (const listener of [...listeners]) listener(event);
}

/** The resolver grpc-js constructs (with three arguments), reporting to onResolution's listeners. */
class ReportingKubernetesResolver extends KubernetesResolver {
  constructor(target: grpc.experimental.GrpcUri, listener: grpc.experimental.ResolverListener, options: grpc.ChannelOptions) {
    super(target, listener, options, reportToListeners);
  }
}

let registered = false;

/** Registers the `kubernetes` scheme with grpc-js; calling it again does nothing. */
export function registerKubernetesResolver(): void {
  if (registered) return;
  grpc.experimental.registerResolver(KUBERNETES_SCHEME, ReportingKubernetesResolver);
  registered = true;
}

/** Calls `listener` with each new result a kubernetes: resolver gives its channel; returns the unsubscribe. */
export function onResolution(listener: (event: ResolutionEvent) => void): () => void {
  const wrapped = (event: ResolutionEvent) => listener(event);
  listeners.add(wrapped);
  return () => listeners.delete(wrapped);
}
