// The echo server as a library: the entry point (server.ts), the lab and the
// tests all start it through startEchoServer, so there is one implementation.
import * as grpc from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import { ReflectionService } from "@grpc/reflection";
import { ECHO_SERVICE_NAME, EchoRequest, EchoResponse, loadEchoProto } from "./proto";
import { reflectionPackageDefinition } from "./reflectionDescriptors";
import { ServerConfig } from "./serverConfig";
import { ServiceCost } from "./serviceCost";

export interface EchoServer {
  /** The port actually bound (differs from config.port when that is 0). */
  port: number;
  /** What it listens on, e.g. "[::]:8080" (every IPv6 and IPv4 address) or "127.0.0.11:8080". */
  address: string;
  /**
   * Graceful stop: health NOT_SERVING, no new connections, GOAWAY to clients,
   * in-flight calls finish; connections still open after graceMs are cut.
   * Resolves with true when it finished within the grace period.
   */
  shutdown(graceMs: number): Promise<boolean>;
}

/** Health names Kubernetes' grpc probes (service "") and clients may ask for. */
const HEALTH_SERVICES = ["", ECHO_SERVICE_NAME];

function serverOptions(config: ServerConfig): grpc.ServerOptions {
  const options: grpc.ServerOptions = { "grpc.max_receive_message_length": config.maxMessageBytes };
  if (config.keepaliveTimeMs > 0) {
    // Ping each client connection and close it when no answer comes: a client whose
    // node died would otherwise hold its connection (and its calls) for ~15 minutes.
    // grpc-js servers have no ping policy of their own: they accept pings at any rate.
    options["grpc.keepalive_time_ms"] = config.keepaliveTimeMs;
    options["grpc.keepalive_timeout_ms"] = config.keepaliveTimeoutMs;
  }
  if (config.maxConnectionAgeMs > 0) {
    // grpc-js jitters the age by +-10% and sends GOAWAY: clients reconnect and,
    // with a dns: target, re-resolve, which is how they find new pods.
    options["grpc.max_connection_age_ms"] = config.maxConnectionAgeMs;
    options["grpc.max_connection_age_grace_ms"] = config.maxConnectionAgeGraceMs;
  }
  return options;
}

function bind(server: grpc.Server, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, port) =>
      error ? reject(error) : resolve(port),
    );
  });
}

/** IPv6 literals need brackets in a host:port address. */
function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Without a HOST, listen on "::", which Linux makes dual-stack: IPv6 and IPv4
 * clients alike, so the image also serves IPv6-only and dual-stack clusters. A
 * kernel without IPv6 refuses "::"; then IPv4 only.
 */
async function listen(server: grpc.Server, config: ServerConfig, log: (line: string) => void): Promise<string> {
  if (config.host !== undefined) {
    const address = hostPort(config.host, config.port);
    return hostPort(config.host, await bind(server, address));
  }
  try {
    return hostPort("::", await bind(server, hostPort("::", config.port)));
  } catch (error) {
    // grpc-js puts the listen error's code in its message.
    const message = error instanceof Error ? error.message : String(error);
    if (!/EAFNOSUPPORT|EADDRNOTAVAIL/.test(message)) throw error;
    log(`IPv6 unavailable (${message}); listening on IPv4 only`);
    return hostPort("0.0.0.0", await bind(server, hostPort("0.0.0.0", config.port)));
  }
}

export async function startEchoServer(config: ServerConfig, log: (line: string) => void = () => {}): Promise<EchoServer> {
  const proto = loadEchoProto();
  const server = new grpc.Server(serverOptions(config));

  const cost = new ServiceCost(config);
  server.addService(proto.service, {
    echo(call: grpc.ServerUnaryCall<EchoRequest, EchoResponse>, callback: grpc.sendUnaryData<EchoResponse>) {
      const message = call.request.message;
      if (config.logRequests) log(`Received: ${message}`);
      cost.serve(
        () => callback(null, { message, from: config.podIp, podName: config.podName }),
        (listener) => call.once("cancelled", listener),
      );
    },
  });

  const health = new HealthImplementation(Object.fromEntries(HEALTH_SERVICES.map((name) => [name, "SERVING" as const])));
  health.addToServer(server);
  // Reflection describes what it is given: both services, so grpcurl can call either,
  // with descriptors protobuf-Go clients accept (see reflectionDescriptors.ts).
  new ReflectionService(reflectionPackageDefinition()).addToServer(server);

  const address = await listen(server, config, log);
  const port = Number(address.slice(address.lastIndexOf(":") + 1));

  let stopping: Promise<boolean> | undefined;
  function shutdown(graceMs: number): Promise<boolean> {
    stopping ??= new Promise<boolean>((resolve) => {
      for (const name of HEALTH_SERVICES) health.setStatus(name, "NOT_SERVING");
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve(false);
      }, graceMs);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve(true);
      });
    });
    return stopping;
  }

  return { port, address, shutdown };
}
