// Channel options that select the LB policy and the retry policy. grpc-js
// honours the policy only through the service config's loadBalancingConfig;
// `loadBalancingPolicy` and `grpc.lb_policy_name` are silently ignored.
import type { ChannelOptions } from "@grpc/grpc-js";
import { ECHO_SERVICE_NAME } from "./proto";
import { ClientConfig, LbPolicy } from "./clientConfig";

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
          // A draining or vanished server answers UNAVAILABLE before doing any
          // work, so a retry on another backend is safe for any method.
          retryableStatusCodes: ["UNAVAILABLE"],
        },
      },
    ];
  }
  return config;
}

export function channelOptions(config: Pick<ClientConfig, "policy" | "retries" | "dnsMinIntervalMs">): ChannelOptions {
  return {
    "grpc.service_config": JSON.stringify(serviceConfig(config.policy, config.retries)),
    "grpc.dns_min_time_between_resolutions_ms": config.dnsMinIntervalMs,
  };
}
