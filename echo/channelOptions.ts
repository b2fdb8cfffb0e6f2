// Channel options that select the LB policy, the retry policy and keepalive.
// grpc-js honours the policy only through the service config's
// loadBalancingConfig; `loadBalancingPolicy` and `grpc.lb_policy_name` are
// silently ignored.
import type { ChannelOptions } from "@grpc/grpc-js";
import { ECHO_SERVICE_NAME } from "./proto";
import { ClientConfig, LbPolicy, usesKubernetesResolver } from "./clientConfig";

/**
 * Retry budget per channel (gRFC A6): each failed call costs a token, each success
 * gives back 0.1; below half of maxTokens the channel stops retrying. During an
 * outage a client then sends about one try per call instead of up to retries + 1.
 */
export const RETRY_THROTTLING = { maxTokens: 10, tokenRatio: 0.1 };

export function serviceConfig(policy: LbPolicy, retries: number): object {
  const config: Record<string, unknown> = { loadBalancingConfig: [{ [policy]: {} }] };
  if (retries > 0) {
    config.methodConfig = [
      {
        name: [{ service: ECHO_SERVICE_NAME }],
        retryPolicy: {
          maxAttempts: retries + 1,
          initialBackoff: "0.05s",
          maxBackoff: "1s",
          backoffMultiplier: 2,
          // UNAVAILABLE mostly means the call never reached a handler (a draining,
          // vanished or unreachable server), but not always: retrying it is safe
          // here only because echo has no side effects. Retry a method that
          // changes state only if it is idempotent.
          retryableStatusCodes: ["UNAVAILABLE"],
        },
      },
    ];
    config.retryThrottling = RETRY_THROTTLING;
  }
  return config;
}

export type ChannelSettings = Pick<ClientConfig, "target" | "policy" | "retries" | "dnsMinIntervalMs" | "keepaliveTimeMs" | "keepaliveTimeoutMs">;

export function channelOptions(config: ChannelSettings): ChannelOptions {
  const options: ChannelOptions = {
    "grpc.service_config": JSON.stringify(serviceConfig(config.policy, config.retries)),
    "grpc.dns_min_time_between_resolutions_ms": config.dnsMinIntervalMs,
    // The service config above is the only one: no TXT lookup per resolution.
    "grpc.service_config_disable_resolution": 1,
  };
  if (usesKubernetesResolver(config.target)) {
    // With a *_proxy variable set, grpc-js sends a target with a numeric port to the proxy
    // and never asks our resolver; the pods' addresses are never meant for a proxy.
    options["grpc.enable_http_proxy"] = 0;
  }
  if (config.keepaliveTimeMs > 0) {
    // Pings go out only while calls are in flight (no keepalive_permit_without_calls).
    // grpc-java and grpc-go servers by default count a ping as a strike only if it
    // comes within 5 min of the last one with no data sent since, or with no call
    // open; three strikes earn GOAWAY ENHANCE_YOUR_CALM. Short unary calls always
    // get data back between pings, and an idle client never pings.
    options["grpc.keepalive_time_ms"] = config.keepaliveTimeMs;
    options["grpc.keepalive_timeout_ms"] = config.keepaliveTimeoutMs;
  }
  return options;
}
