// The server's settings, read from the environment (see docs/echo.md: "Server settings").
import * as os from "node:os";
import { SERVER_KEEPALIVE } from "./keepalive";
import { Env, MAX_GRPC_INT, readBool, readInt, readString } from "./env";
import { ServiceCostConfig } from "./serviceCost";

export interface ServerConfig extends ServiceCostConfig {
  /** Undefined = every address, IPv6 and IPv4 (see echoServer.ts). */
  host?: string;
  port: number;
  podName: string;
  podIp: string;
  /** 0 = never close connections for age. */
  maxConnectionAgeMs: number;
  maxConnectionAgeGraceMs: number;
  shutdownGraceMs: number;
  logRequests: boolean;
  maxMessageBytes: number;
  /** Ping each client connection after this long; 0 = off. Drops clients that vanished. */
  keepaliveTimeMs: number;
  /** How long a ping may go unanswered before the connection is closed. */
  keepaliveTimeoutMs: number;
}

function firstExternalIpv4(): string | undefined {
  for (const addresses of Object.values(os.networkInterfaces())) {
    const found = addresses?.find((a) => a.family === "IPv4" && !a.internal);
    if (found) return found.address;
  }
  return undefined;
}

export function readServerConfig(env: Env): ServerConfig {
  const host = readString(env, "HOST", "") || undefined;
  return {
    host,
    port: readInt(env, "PORT", 8080, 0, 65535),
    podName: readString(env, "POD_NAME", os.hostname()),
    podIp: readString(env, "POD_IP", firstExternalIpv4() ?? host ?? "0.0.0.0"),
    maxConnectionAgeMs: readInt(env, "MAX_CONNECTION_AGE_MS", 30000, 0),
    maxConnectionAgeGraceMs: readInt(env, "MAX_CONNECTION_AGE_GRACE_MS", 10000, 0),
    shutdownGraceMs: readInt(env, "SHUTDOWN_GRACE_MS", 10000, 0),
    logRequests: readBool(env, "LOG_REQUESTS", true),
    maxMessageBytes: readInt(env, "MAX_MESSAGE_BYTES", 65536, 1, MAX_GRPC_INT),
    keepaliveTimeMs: readInt(env, "KEEPALIVE_TIME_MS", SERVER_KEEPALIVE.timeMs, 0, MAX_GRPC_INT),
    keepaliveTimeoutMs: readInt(env, "KEEPALIVE_TIMEOUT_MS", SERVER_KEEPALIVE.timeoutMs, 1, MAX_GRPC_INT),
    serviceTimeMs: readInt(env, "SERVICE_TIME_MS", 0, 0, 60000),
    maxConcurrentCalls: readInt(env, "MAX_CONCURRENT_CALLS", 0, 0, 100000),
  };
}
