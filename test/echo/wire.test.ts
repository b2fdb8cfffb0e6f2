// Wire compatibility with the classic Java example, checked on raw bytes: the
// method path and field numbers are what its generated stubs send and expect.
import { strict as assert } from "node:assert";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { freePort, ServerProcess, startServer } from "../../lab/processes";
import { rawUnary } from "../support/grpcClients";

/** Protobuf: field `number`, wire type 2 (length-delimited), short string. */
function stringField(number: number, value: string): Buffer {
  const bytes = Buffer.from(value, "utf8");
  return Buffer.concat([Buffer.from([(number << 3) | 2, bytes.length]), bytes]);
}

function decodeStrings(buffer: Buffer): Map<number, string> {
  const fields = new Map<number, string>();
  for (let i = 0; i < buffer.length; ) {
    const number = buffer[i] >> 3;
    assert.equal(buffer[i] & 7, 2, "expected only string fields");
    const length = buffer[i + 1];
    fields.set(number, buffer.subarray(i + 2, i + 2 + length).toString("utf8"));
    i += 2 + length;
  }
  return fields;
}

describe("wire compatibility and reflection", () => {
  let server: ServerProcess;
  let address: string;

  before(async () => {
    const port = await freePort(["127.0.0.1"]);
    server = await startServer({ name: "wire-pod", host: "127.0.0.1", port });
    address = `127.0.0.1:${port}`;
  });
  after(() => server.stop("SIGKILL"));

  it("answers /com.example.grpc.EchoService/echo: message = 1, from = 2 (pod IP), pod name = 3", async () => {
    const response = await rawUnary(address, "/com.example.grpc.EchoService/echo", stringField(1, "Hello"));
    const fields = decodeStrings(response);
    assert.equal(fields.get(1), "Hello");
    assert.equal(fields.get(2), "127.0.0.1");
    assert.equal(fields.get(3), "wire-pod");
  });

  it("rejects the upper-case method name, which the Java stubs never send", async () => {
    await assert.rejects(rawUnary(address, "/com.example.grpc.EchoService/Echo", stringField(1, "x")), /UNIMPLEMENTED/);
  });

  it("lists the echo and health services through server reflection (what grpcurl uses)", async () => {
    const reflectionProto = require.resolve("@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto");
    const definition = protoLoader.loadSync(reflectionProto, { keepCase: true, defaults: true, oneofs: true });
    const v1 = (grpc.loadPackageDefinition(definition) as unknown as {
      grpc: { reflection: { v1: { ServerReflection: grpc.ServiceClientConstructor } } };
    }).grpc.reflection.v1;
    const client = new v1.ServerReflection(address, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
      ServerReflectionInfo(): grpc.ClientDuplexStream<object, { list_services_response?: { service: { name: string }[] } }>;
    };
    const names = await new Promise<string[]>((resolve, reject) => {
      const stream = client.ServerReflectionInfo();
      stream.on("data", (response) => {
        resolve((response.list_services_response?.service ?? []).map((s: { name: string }) => s.name));
        stream.end();
      });
      stream.on("error", reject);
      stream.write({ list_services: "" });
    });
    client.close();
    assert.ok(names.includes("com.example.grpc.EchoService"), names.join(", "));
    assert.ok(names.includes("grpc.health.v1.Health"), names.join(", "));
  });
});
