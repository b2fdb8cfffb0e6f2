// Loads proto/echo.proto at run time (no generated code), from the source tree
// and from dist/ alike: both sit two levels below the repository root.
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

export const PROTO_PATH = path.resolve(__dirname, "..", "..", "proto", "echo.proto");
export const ECHO_SERVICE_NAME = "com.example.grpc.EchoService";

export interface EchoRequest {
  message: string;
}

export interface EchoResponse {
  message: string;
  from: string;
  podName: string;
}

export type EchoClient = grpc.Client & {
  echo(
    request: EchoRequest,
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, response?: EchoResponse) => void,
  ): grpc.ClientUnaryCall;
};

type EchoClientConstructor = new (target: string, credentials: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => EchoClient;

export interface EchoProto {
  packageDefinition: protoLoader.PackageDefinition;
  service: grpc.ServiceDefinition;
  Client: EchoClientConstructor;
}

let loaded: EchoProto | undefined;

export function loadEchoProto(): EchoProto {
  if (loaded) return loaded;
  const packageDefinition = protoLoader.loadSync(PROTO_PATH, {
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const grpcObject = grpc.loadPackageDefinition(packageDefinition);
  const Client = (grpcObject.com as grpc.GrpcObject).example as grpc.GrpcObject;
  const ctor = (Client.grpc as grpc.GrpcObject).EchoService as grpc.ServiceClientConstructor;
  loaded = { packageDefinition, service: ctor.service, Client: ctor as unknown as EchoClientConstructor };
  return loaded;
}
