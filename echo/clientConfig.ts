// The client's settings, read from the environment (see docs/echo.md: "Client settings").
import { CLIENT_KEEPALIVE } from "./keepalive";
import { KUBERNETES_SCHEME } from "./kubernetes/scheme";
import { Env, MAX_GRPC_INT, readChoice, readInt, readOptionalInt, readString } from "./env";

export const LB_POLICIES = ["pick_first", "round_robin"] as const;
export type LbPolicy = (typeof LB_POLICIES)[number];

export const LOG_FORMATS = ["text", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** grpc-js caps maxAttempts at 5: one call plus at most 4 retries. */
export const MAX_RETRIES = 4;

export interface ClientConfig {
  target: string;
  policy: LbPolicy;
  concurrency: number;
  intervalMs: number;
  /** Open loop: start this many calls per second whatever the answers do; 0 = closed loops (concurrency, intervalMs). */
  ratePerS: number;
  deadlineMs: number;
  summaryIntervalMs: number;
  /** Stop after this many completed calls; undefined = until stopped. */
  requests?: number;
  retries: number;
  /** Lower bound between two DNS resolutions of a dns: target. */
  dnsMinIntervalMs: number;
  /** Ping a connection with calls in flight after this long without a ping; 0 = off. */
  keepaliveTimeMs: number;
  /** How long a ping may go unanswered before the connection counts as dead. */
  keepaliveTimeoutMs: number;
  logFormat: LogFormat;
}

export function readClientConfig(env: Env): ClientConfig {
  return {
    target: readString(env, "ECHO_SERVICE_TARGET", "localhost:8080"),
    policy: readChoice(env, "ECHO_LB_POLICY", LB_POLICIES, "pick_first"),
    concurrency: readInt(env, "ECHO_CONCURRENCY", 4, 1, 1000),
    intervalMs: readInt(env, "ECHO_INTERVAL_MS", 700, 0),
    ratePerS: readInt(env, "ECHO_RATE_PER_S", 0, 0, 100000),
    deadlineMs: readInt(env, "ECHO_DEADLINE_MS", 2000, 1),
    summaryIntervalMs: readInt(env, "ECHO_SUMMARY_INTERVAL_MS", 10000, 0),
    requests: readOptionalInt(env, "ECHO_REQUESTS", 1),
    retries: readInt(env, "ECHO_RETRIES", 3, 0, MAX_RETRIES),
    // grpc-js re-resolves only when a connection drops, and by default at most
    // every 30 s: that would add up to 30 s to finding a new pod. One query a
    // second per client is nothing for cluster DNS.
    dnsMinIntervalMs: readInt(env, "ECHO_DNS_MIN_INTERVAL_MS", 1000, 0),
    keepaliveTimeMs: readInt(env, "ECHO_KEEPALIVE_TIME_MS", CLIENT_KEEPALIVE.timeMs, 0, MAX_GRPC_INT),
    keepaliveTimeoutMs: readInt(env, "ECHO_KEEPALIVE_TIMEOUT_MS", CLIENT_KEEPALIVE.timeoutMs, 1, MAX_GRPC_INT),
    logFormat: readChoice(env, "ECHO_LOG_FORMAT", LOG_FORMATS, "text"),
  };
}

/** Targets resolved by this project's Kubernetes-API resolver (echo/kubernetes/), which must be registered first. */
export function usesKubernetesResolver(target: string): boolean {
  return target.startsWith(`${KUBERNETES_SCHEME}:`);
}

/**
 * `dns://<server>/name` is honoured only by grpc-js's c-ares resolver, which it
 * reads from GRPC_NODE_USE_ALTERNATIVE_RESOLVER once, when it is first loaded.
 */
export function needsAlternativeResolver(target: string): boolean {
  return /^dns:\/\/[^/]/.test(target);
}
