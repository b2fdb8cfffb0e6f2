// Settings: defaults, accepted spellings and the service config grpc-js gets.
import { strict as assert } from "node:assert";
import { readClientConfig, needsAlternativeResolver } from "../../echo/clientConfig";
import { readServerConfig } from "../../echo/serverConfig";
import { channelOptions } from "../../echo/channelOptions";
import { EnvError } from "../../echo/env";

describe("server settings", () => {
  it("defaults match the documented contract", () => {
    const config = readServerConfig({});
    assert.equal(config.port, 8080);
    assert.equal(config.host, undefined, "unset: every IPv6 and IPv4 address");
    assert.equal(config.maxConnectionAgeMs, 30000);
    assert.equal(config.maxConnectionAgeGraceMs, 10000);
    assert.equal(config.shutdownGraceMs, 10000);
    assert.equal(config.logRequests, true);
    assert.equal(config.maxMessageBytes, 65536);
    assert.equal(config.keepaliveTimeMs, 30000);
    assert.equal(config.keepaliveTimeoutMs, 10000);
    assert.ok(config.podName.length > 0);
  });

  it("reads every variable, treating empty as unset", () => {
    const config = readServerConfig({
      PORT: "9090", HOST: "127.0.0.1", POD_NAME: "p-0", POD_IP: "10.0.0.7", MAX_CONNECTION_AGE_MS: "0",
      MAX_CONNECTION_AGE_GRACE_MS: "5", SHUTDOWN_GRACE_MS: "", LOG_REQUESTS: "off", MAX_MESSAGE_BYTES: "1024",
      KEEPALIVE_TIME_MS: "0", KEEPALIVE_TIMEOUT_MS: "250",
    });
    assert.deepEqual(config, {
      host: "127.0.0.1", port: 9090, podName: "p-0", podIp: "10.0.0.7", maxConnectionAgeMs: 0,
      maxConnectionAgeGraceMs: 5, shutdownGraceMs: 10000, logRequests: false, maxMessageBytes: 1024,
      keepaliveTimeMs: 0, keepaliveTimeoutMs: 250, serviceTimeMs: 0, maxConcurrentCalls: 0,
    });
  });

  it("names the variable in its error", () => {
    assert.throws(() => readServerConfig({ PORT: "-1" }), (e: EnvError) => e.variable === "PORT" && /between 0 and 65535/.test(e.message));
  });
});

describe("client settings", () => {
  it("defaults match the documented contract", () => {
    const config = readClientConfig({});
    assert.deepEqual(config, {
      target: "localhost:8080", policy: "pick_first", concurrency: 4, intervalMs: 700, ratePerS: 0, deadlineMs: 2000,
      summaryIntervalMs: 10000, requests: undefined, retries: 3, dnsMinIntervalMs: 1000,
      keepaliveTimeMs: 10000, keepaliveTimeoutMs: 5000, logFormat: "text",
    });
  });

  it("selects round_robin through loadBalancingConfig, the only form grpc-js honours", () => {
    const options = channelOptions(readClientConfig({ ECHO_LB_POLICY: "round_robin" }));
    const serviceConfig = JSON.parse(String(options["grpc.service_config"]));
    assert.deepEqual(serviceConfig.loadBalancingConfig, [{ round_robin: {} }]);
    assert.equal(serviceConfig.loadBalancingPolicy, undefined);
    assert.equal(serviceConfig.methodConfig[0].retryPolicy.maxAttempts, 4);
    assert.deepEqual(serviceConfig.methodConfig[0].retryPolicy.retryableStatusCodes, ["UNAVAILABLE"]);
    assert.deepEqual(serviceConfig.retryThrottling, { maxTokens: 10, tokenRatio: 0.1 });
    assert.equal(options["grpc.dns_min_time_between_resolutions_ms"], 1000);
    assert.equal(options["grpc.service_config_disable_resolution"], 1, "no TXT lookups");
    assert.equal(options["grpc.keepalive_time_ms"], 10000);
    assert.equal(options["grpc.keepalive_timeout_ms"], 5000);
    assert.equal(options["grpc.keepalive_permit_without_calls"], undefined, "an idle client never pings");
  });

  it("ECHO_RETRIES=0 leaves no retry policy and no throttling; ECHO_KEEPALIVE_TIME_MS=0 no keepalive", () => {
    const options = channelOptions(readClientConfig({ ECHO_RETRIES: "0", ECHO_KEEPALIVE_TIME_MS: "0" }));
    const serviceConfig = JSON.parse(String(options["grpc.service_config"]));
    assert.equal(serviceConfig.methodConfig, undefined);
    assert.equal(serviceConfig.retryThrottling, undefined);
    assert.equal(options["grpc.keepalive_time_ms"], undefined);
  });

  it("keeps kubernetes: targets away from any HTTP proxy, and only those", () => {
    assert.equal(channelOptions(readClientConfig({ ECHO_SERVICE_TARGET: "kubernetes:///echo-server.ns:8080" }))["grpc.enable_http_proxy"], 0);
    assert.equal(channelOptions(readClientConfig({ ECHO_SERVICE_TARGET: "dns:///echo-server:8080" }))["grpc.enable_http_proxy"], undefined);
  });

  it("turns on grpc-js's alternative resolver only for dns targets that name a DNS server", () => {
    assert.equal(needsAlternativeResolver("dns://127.0.0.1:53/echo:8080"), true);
    assert.equal(needsAlternativeResolver("dns:///echo-server.ns.svc.cluster.local:8080"), false);
    assert.equal(needsAlternativeResolver("echo-server:8080"), false);
  });
});
