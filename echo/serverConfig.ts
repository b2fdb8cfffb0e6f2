// The server's settings, read from the environment (see README: "Server settings").
import * as os from "node:os";
import { Env, readBool, readInt, readString } from "./env";

export interface ServerConfig {
  host: string;
  port: number;
  podName: string;
  podIp: string;
  /** 0 = never close connections for age. */
  maxConnectionAgeMs: number;
  maxConnectionAgeGraceMs: number;
  shutdownGraceMs: number;
  logRequests: boolean;
  maxMessageBytes: number;
}

function firstExternalIpv4(): string | undefined {
  for (const addresses of Object.values(os.networkInterfaces())) {
    const found = addresses?.find((a) => a.family === "IPv4" && !a.internal);
    if (found) return found.address;
  }
  return undefined;
}

export function readServerConfig(env: Env): ServerConfig {
  const host = readString(env, "HOST", "0.0.0.0");
  return {
    host,
    port: readInt(env, "PORT", 8080, 0, 65535),
    podName: readString(env, "POD_NAME", os.hostname()),
    podIp: readString(env, "POD_IP", firstExternalIpv4() ?? host),
    maxConnectionAgeMs: readInt(env, "MAX_CONNECTION_AGE_MS", 30000, 0),
    maxConnectionAgeGraceMs: readInt(env, "MAX_CONNECTION_AGE_GRACE_MS", 10000, 0),
    shutdownGraceMs: readInt(env, "SHUTDOWN_GRACE_MS", 10000, 0),
    logRequests: readBool(env, "LOG_REQUESTS", true),
    maxMessageBytes: readInt(env, "MAX_MESSAGE_BYTES", 65536, 1, 2 ** 31 - 1),
  };
}
