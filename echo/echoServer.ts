// The echo server as a library: the entry point (server.ts), the lab and the
// tests all start it through startEchoServer, so there is one implementation.
import * as grpc from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import { ReflectionService } from "@grpc/reflection";
import { ECHO_SERVICE_NAME, EchoRequest, EchoResponse, loadEchoProto } from "./proto";
import { reflectionPackageDefinition } from "./reflectionDescriptors";
import { ServerConfig } from "./serverConfig";

export interface EchoServer {
  /** The port actually bound (differs from config.port when that is 0). */
  port: number;
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
  if (config.maxConnectionAgeMs > 0) {
    // grpc-js adds up to 10% jitter and sends GOAWAY: clients reconnect and,
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

export async function startEchoServer(config: ServerConfig, log: (line: string) => void = () => {}): Promise<EchoServer> {
  const proto = loadEchoProto();
  const server = new grpc.Server(serverOptions(config));

  server.addService(proto.service, {
    echo(call: grpc.ServerUnaryCall<EchoRequest, EchoResponse>, callback: grpc.sendUnaryData<EchoResponse>) {
      const message = call.request.message;
      if (config.logRequests) log(`Received: ${message}`);
      callback(null, { message, from: config.podIp, podName: config.podName });
    },
  });

  const health = new HealthImplementation(Object.fromEntries(HEALTH_SERVICES.map((name) => [name, "SERVING" as const])));
  health.addToServer(server);
  // Reflection describes what it is given: both services, so grpcurl can call either,
  // with descriptors protobuf-Go clients accept (see reflectionDescriptors.ts).
  new ReflectionService(reflectionPackageDefinition()).addToServer(server);

  const port = await bind(server, hostPort(config.host, config.port));

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

  return { port, shutdown };
}
