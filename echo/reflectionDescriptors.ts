// The package definition server reflection serves. proto-loader builds its
// file descriptors with protobufjs's Type#toDescriptor, which names a map
// field's entry type ucFirst(field) ("Statuses") where protobuf requires
// CamelCase(field) + "Entry" ("StatusesEntry"); protobuf-Go clients (grpcurl,
// grpcui) then reject the whole file. This module loads the protos again for
// reflection only and renames those entries, decoding and re-encoding with
// protobufjs's own descriptor codec.
import * as protoLoader from "@grpc/proto-loader";
import { protoPath as healthProtoPath } from "grpc-health-check";
import {
  FileDescriptorProto,
  type IDescriptorProto,
  type IFileDescriptorProto,
} from "protobufjs/ext/descriptor";
import { PROTO_PATH } from "./proto";

/** protoc's and protobuf-Go's MapEntryName: "my_field" -> "MyFieldEntry". */
export function mapEntryName(fieldName: string): string {
  let name = "";
  let upperNext = true;
  for (const c of fieldName) {
    if (c === "_") {
      upperNext = true;
    } else {
      name += upperNext ? c.toUpperCase() : c;
      upperNext = false;
    }
  }
  return `${name}Entry`;
}

const TYPE_MESSAGE = 11;
const LABEL_REPEATED = 3;

/** Renames the map entries nested in `message` (and deeper); `scope` is its fully qualified name. */
function fixMessage(message: IDescriptorProto, scope: string): void {
  const entries = (message.nestedType ?? []).filter((nested) => nested.options?.mapEntry);
  const renamed = new Set<IDescriptorProto>();
  for (const field of message.field ?? []) {
    if (field.type !== TYPE_MESSAGE || field.label !== LABEL_REPEATED || !field.name || !field.typeName) continue;
    // protobufjs writes the entry's bare name; accept a qualified one too.
    const entry = entries.find(
      (e) => !renamed.has(e) && (field.typeName === e.name || field.typeName === `${scope}.${e.name}`),
    );
    if (!entry) continue;
    entry.name = mapEntryName(field.name);
    // Fully qualified: nothing for a client to resolve by scope.
    field.typeName = `${scope}.${entry.name}`;
    renamed.add(entry);
  }
  for (const nested of message.nestedType ?? []) fixMessage(nested, `${scope}.${nested.name}`);
}

/** One encoded FileDescriptorProto, with its map entries named as protobuf requires. */
export function fixFileDescriptor(encoded: Uint8Array): Buffer {
  const file = FileDescriptorProto.decode(encoded) as IFileDescriptorProto;
  const packageScope = file.package ? `.${file.package}` : "";
  for (const message of file.messageType ?? []) fixMessage(message, `${packageScope}.${message.name}`);
  return Buffer.from(FileDescriptorProto.encode(file).finish());
}

type TypeDefinition = protoLoader.MessageTypeDefinition | protoLoader.EnumTypeDefinition;

/** Reflection reads fileDescriptorProtos of the message and enum definitions only (not services). */
function hasDescriptors(value: protoLoader.AnyDefinition): value is TypeDefinition {
  return typeof value.format === "string" && Array.isArray(value.fileDescriptorProtos);
}

/**
 * Every service the server serves: echo, health and reflection itself (v1 and
 * v1alpha), so `grpcurl list` shows them all, as with other gRPC servers.
 */
const REFLECTED_PROTOS = [
  PROTO_PATH,
  healthProtoPath,
  require.resolve("@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto"),
  require.resolve("@grpc/reflection/build/proto/grpc/reflection/v1alpha/reflection.proto"),
];

/**
 * Those protos as reflection should describe them. keepCase: field names as
 * written in the .proto (pod_name), not proto-loader's camelCase, which the
 * service implementation keeps using.
 */
export function reflectionPackageDefinition(): protoLoader.PackageDefinition {
  const loaded: protoLoader.PackageDefinition = Object.assign(
    {},
    ...REFLECTED_PROTOS.map((file) => protoLoader.loadSync(file, { keepCase: true })),
  );
  // proto-loader shares one descriptor list among all types of a load: fix each list once.
  const fixed = new Map<Buffer[], Buffer[]>();
  const definition: protoLoader.PackageDefinition = {};
  for (const [name, value] of Object.entries(loaded)) {
    if (!hasDescriptors(value)) {
      definition[name] = value;
      continue;
    }
    const files = value.fileDescriptorProtos;
    if (!fixed.has(files)) fixed.set(files, files.map(fixFileDescriptor));
    definition[name] = { ...value, fileDescriptorProtos: fixed.get(files)! };
  }
  return definition;
}
