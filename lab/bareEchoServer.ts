// The benchmark's yardstick: the echo method on a bare @grpc/grpc-js server
// (same proto, no health, reflection, logging or connection ageing), started
// like our server (HOST, PORT, POD_NAME, POD_IP; same start line), so the
// benchmark can measure what our server's extras cost.
import * as grpc from "@grpc/grpc-js";
import { EchoRequest, EchoResponse, loadEchoProto } from "../echo/proto";

export const BARE_SERVER_ENTRY = __filename;

function main(): void {
  const env = process.env;
  const host = env.HOST ?? "127.0.0.1";
  const podName = env.POD_NAME ?? "bare";
  const podIp = env.POD_IP ?? host;
  const server = new grpc.Server();
  server.addService(loadEchoProto().service, {
    echo(call: grpc.ServerUnaryCall<EchoRequest, EchoResponse>, callback: grpc.sendUnaryData<EchoResponse>) {
      callback(null, { message: call.request.message, from: podIp, podName });
    },
  });
  server.bindAsync(`${host}:${env.PORT ?? "0"}`, grpc.ServerCredentials.createInsecure(), (error, port) => {
    if (error) {
      console.error(`bare echo server: ${error.message}`);
      process.exit(1);
    }
    // processes.ts waits for this prefix, as for our server.
    console.log(`Echo server listening on ${host}:${port} as ${podName} (bare @grpc/grpc-js)`);
  });
  const stop = () => server.tryShutdown(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

if (require.main === module) main();
