// What server reflection serves, checked against protobuf's own rules as
// protobuf-Go clients (grpcurl, grpcui) enforce them: a map field's entry type
// is named CamelCase(field) + "Entry", and field names are those of the .proto.
// The real server answers over the real reflection service; its descriptors are
// decoded with protobufjs's descriptor codec.
import { strict as assert } from "node:assert";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import * as protobuf from "protobufjs";
import {
  FileDescriptorProto,
  type IDescriptorProto,
  type IFieldDescriptorProto,
  type IFileDescriptorProto,
} from "protobufjs/ext/descriptor";
import { PROTO_PATH } from "../../echo/proto";
import { freePort, ServerProcess, startServer } from "../../lab/processes";

const ECHO_SERVICE = "com.example.grpc.EchoService";
const HEALTH_SERVICE = "grpc.health.v1.Health";
const TYPE_MESSAGE = 11;
const LABEL_REPEATED = 3;

/** protoc's MapEntryName, written out here independently of echo/reflectionDescriptors.ts. */
function expectedEntryName(field: string): string {
  return (
    field
      .split("_")
      .filter((part) => part !== "")
      .map((part) => part[0].toUpperCase() + part.slice(1))
      .join("") + "Entry"
  );
}

interface ReflectionResponse {
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
  error_response?: { error_code: number; error_message: string };
}

type ReflectionClient = grpc.Client & {
  ServerReflectionInfo(): grpc.ClientDuplexStream<object, ReflectionResponse>;
};

function reflectionClient(address: string): ReflectionClient {
  const reflectionProto = require.resolve("@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto");
  const definition = protoLoader.loadSync(reflectionProto, { keepCase: true, defaults: true, oneofs: true });
  const v1 = (grpc.loadPackageDefinition(definition) as unknown as {
    grpc: { reflection: { v1: { ServerReflection: grpc.ServiceClientConstructor } } };
  }).grpc.reflection.v1;
  return new v1.ServerReflection(address, grpc.credentials.createInsecure()) as unknown as ReflectionClient;
}

/** The file (and its dependencies) that defines `symbol`, as the server encodes them. */
function fileContainingSymbol(client: ReflectionClient, symbol: string): Promise<IFileDescriptorProto[]> {
  return new Promise((resolve, reject) => {
    const stream = client.ServerReflectionInfo();
    stream.once("data", (response: ReflectionResponse) => {
      stream.end();
      if (!response.file_descriptor_response) {
        reject(new Error(`${symbol}: ${JSON.stringify(response.error_response)}`));
        return;
      }
      resolve(
        response.file_descriptor_response.file_descriptor_proto.map(
          (bytes) => FileDescriptorProto.decode(bytes) as IFileDescriptorProto,
        ),
      );
    });
    stream.once("error", reject);
    stream.write({ file_containing_symbol: symbol });
  });
}

/** Every message and enum of `files` by fully qualified name (".pkg.Msg.Nested"). */
function symbolTable(files: IFileDescriptorProto[]): Map<string, IDescriptorProto | "enum"> {
  const symbols = new Map<string, IDescriptorProto | "enum">();
  const addMessage = (message: IDescriptorProto, scope: string) => {
    const name = `${scope}.${message.name}`;
    symbols.set(name, message);
    for (const e of message.enumType ?? []) symbols.set(`${name}.${e.name}`, "enum");
    for (const nested of message.nestedType ?? []) addMessage(nested, name);
  };
  for (const file of files) {
    const scope = file.package ? `.${file.package}` : "";
    for (const e of file.enumType ?? []) symbols.set(`${scope}.${e.name}`, "enum");
    for (const message of file.messageType ?? []) addMessage(message, scope);
  }
  return symbols;
}

/** protoc's name resolution: fully qualified, else innermost scope outwards. */
function resolve(symbols: Map<string, unknown>, typeName: string, scope: string): string | undefined {
  if (typeName.startsWith(".")) return symbols.has(typeName) ? typeName : undefined;
  for (let s = scope; ; s = s.slice(0, s.lastIndexOf("."))) {
    if (symbols.has(`${s}.${typeName}`)) return `${s}.${typeName}`;
    if (s === "") return undefined;
  }
}

/** Every message with its fully qualified name, nested ones included. */
function allMessages(files: IFileDescriptorProto[]): [string, IDescriptorProto][] {
  const out: [string, IDescriptorProto][] = [];
  const walk = (message: IDescriptorProto, scope: string) => {
    out.push([`${scope}.${message.name}`, message]);
    for (const nested of message.nestedType ?? []) walk(nested, `${scope}.${message.name}`);
  };
  for (const file of files) for (const message of file.messageType ?? []) walk(message, file.package ? `.${file.package}` : "");
  return out;
}

describe("server reflection descriptors (what protobuf-Go clients such as grpcurl accept)", () => {
  let server: ServerProcess;
  let client: ReflectionClient;
  let files: IFileDescriptorProto[];

  before(async () => {
    const port = await freePort(["127.0.0.1"]);
    server = await startServer({ name: "reflection-pod", host: "127.0.0.1", port });
    client = reflectionClient(`127.0.0.1:${port}`);
    const byName = new Map<string, IFileDescriptorProto>();
    for (const symbol of [ECHO_SERVICE, HEALTH_SERVICE, "grpc.reflection.v1.ServerReflection"]) {
      for (const file of await fileContainingSymbol(client, symbol)) byName.set(file.name ?? "", file);
    }
    files = [...byName.values()];
  });
  after(async () => {
    client?.close();
    await server?.stop("SIGKILL");
  });

  it("the expected entry names follow protoc's rule", () => {
    assert.equal(expectedEntryName("statuses"), "StatusesEntry");
    assert.equal(expectedEntryName("my_field"), "MyFieldEntry");
    assert.equal(expectedEntryName("a_b_c"), "ABCEntry");
  });

  it("names every map entry CamelCase(field) + \"Entry\", with key = 1, value = 2, and the field points at it", () => {
    const symbols = symbolTable(files);
    let mapFields = 0;
    for (const [scope, message] of allMessages(files)) {
      const entries = (message.nestedType ?? []).filter((nested) => nested.options?.mapEntry);
      const claimed = new Set<string>();
      for (const field of message.field ?? []) {
        if (field.type !== TYPE_MESSAGE || !field.typeName) continue;
        const target = resolve(symbols, field.typeName, scope);
        assert.ok(target, `${scope}.${field.name}: type ${field.typeName} does not resolve`);
        const entry = symbols.get(target);
        if (entry === "enum" || !entry?.options?.mapEntry) continue;
        mapFields++;
        const where = `${scope}.${field.name} (type ${field.typeName})`;
        assert.equal(field.label, LABEL_REPEATED, `${where}: a map field is repeated`);
        assert.equal(target, `${scope}.${expectedEntryName(field.name!)}`, `${where}: entry name`);
        assert.ok(entries.includes(entry), `${where}: the entry is nested in the field's message`);
        const [key, value] = entry.field ?? [];
        assert.deepEqual(
          [key?.name, key?.number, value?.name, value?.number, entry.field?.length],
          ["key", 1, "value", 2, 2],
          `${where}: entry fields`,
        );
        claimed.add(entry.name!);
      }
      for (const entry of entries) assert.ok(claimed.has(entry.name!), `${scope}.${entry.name}: a map entry no field uses`);
    }
    // grpc.health.v1.HealthListResponse.statuses at least: never vacuously true.
    assert.ok(mapFields >= 1, "no map field found in the descriptors");
  });

  it("names the echo messages' fields as proto/echo.proto does, with the same numbers", () => {
    const root = new protobuf.Root().loadSync(PROTO_PATH, { keepCase: true });
    const served = new Map(allMessages(files));
    for (const name of ["EchoRequest", "EchoResponse"]) {
      const expected = root.lookupType(`com.example.grpc.${name}`).fieldsArray.map((f) => [f.name, f.id]);
      const message = served.get(`.com.example.grpc.${name}`);
      assert.ok(message, `${name} not among the served descriptors`);
      const actual = (message.field ?? []).map((f: IFieldDescriptorProto) => [f.name, f.number]);
      assert.deepEqual(actual, expected, name);
    }
  });
});
