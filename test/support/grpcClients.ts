// Clients the tests use to talk to a server directly: the standard health
// service, the echo service, and raw bytes on the wire.
import * as net from "node:net";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { protoPath as HEALTH_PROTO } from "grpc-health-check";
import { EchoClient, EchoResponse, loadEchoProto } from "../../echo/proto";

export function echoClient(address: string): EchoClient {
  const { Client } = loadEchoProto();
  return new Client(address, grpc.credentials.createInsecure());
}

export function echo(client: EchoClient, message: string, deadlineMs = 5000): Promise<EchoResponse> {
  return new Promise((resolve, reject) =>
    client.echo({ message }, { deadline: Date.now() + deadlineMs }, (error, response) =>
      error ? reject(error) : resolve(response!),
    ),
  );
}

type HealthClient = grpc.Client & {
  check(request: { service: string }, callback: (error: grpc.ServiceError | null, response?: { status: string }) => void): void;
  watch(request: { service: string }): grpc.ClientReadableStream<{ status: string }>;
};

export function healthClient(address: string): HealthClient {
  const definition = protoLoader.loadSync(HEALTH_PROTO, { enums: String, defaults: true });
  const grpcObject = grpc.loadPackageDefinition(definition) as unknown as {
    grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
  };
  return new grpcObject.grpc.health.v1.Health(address, grpc.credentials.createInsecure()) as unknown as HealthClient;
}

export function checkHealth(client: HealthClient, service: string): Promise<string> {
  return new Promise((resolve, reject) =>
    client.check({ service }, (error, response) => (error ? reject(error) : resolve(response!.status))),
  );
}

/** Opens a TCP connection, writes `bytes`, and resolves when the server closes it or after `ms`. */
export function sendGarbage(host: string, port: number, bytes: Buffer, ms = 1000): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host, () => socket.write(bytes));
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, ms);
    socket.on("error", done);
    socket.on("close", done);
  });
}

/** A unary call with hand-made protobuf bytes: no .proto involved, so it checks the wire format itself. */
export function rawUnary(address: string, method: string, request: Buffer): Promise<Buffer> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise<Buffer>((resolve, reject) =>
    client.makeUnaryRequest<Buffer, Buffer>(
      method,
      (b) => b,
      (b) => b,
      request,
      { deadline: Date.now() + 5000 },
      (error, response) => (error ? reject(error) : resolve(response!)),
    ),
  ).finally(() => client.close());
}
