// The real grpcurl (protobuf-Go, the strictest common reflection client)
// against the real echo server: listing, describing and calling through server
// reflection only, no .proto given. Started by test/grpcurl/run.sh, which builds
// grpcurl and passes its path in GRPCURL. Not a *.test.ts: mocha's unit-test
// glob must not pick it up.
//
// Loopback only. Every process started here is killed by PID on exit, INT and
// TERM. Prints one PASS/FAIL line per check, then "N passed, N failed"; exits
// non-zero if any check failed.
import { ChildProcess, execFile } from "node:child_process";
import * as protobuf from "protobufjs";
import { PROTO_PATH } from "../../echo/proto";
import { freePort, ServerProcess, startServer } from "../../lab/processes";
import { assert, CheckRun } from "../support/checkRun";

const HOST = "127.0.0.1";
const POD_NAME = "grpcurl-pod";
const GRPCURL = process.env.GRPCURL ?? "";
/** Per grpcurl run; grpcurl's own -max-time is a little shorter. */
const CALL_MS = 20_000;

const run = new CheckRun();

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** One grpcurl run against `address`, bounded; only PATH from the environment. */
function grpcurl(address: string, args: string[], data?: string): Promise<Result> {
  const argv = ["-plaintext", "-connect-timeout", "5", "-max-time", "15"];
  if (data !== undefined) argv.push("-d", data);
  argv.push(address, ...args);
  return new Promise((resolve) => {
    const child = execFile(
      GRPCURL,
      argv,
      { env: { PATH: process.env.PATH ?? "" }, timeout: CALL_MS, killSignal: "SIGKILL" },
      (error, stdout, stderr) => {
        running.delete(child);
        const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
        resolve({ code, stdout, stderr: stderr || error?.message || "" });
      },
    );
    running.add(child);
  });
}

/** grpcurl's output or, when it failed, its exit code and error. */
function ok(result: Result, what: string): string {
  assert(result.code === 0, `${what}: grpcurl exited with ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`);
  return result.stdout;
}

const oneLine = (text: string) => text.trim().replace(/\s+/g, " ");

/** The fields of a message as proto/echo.proto declares them (names as written). */
function protoFields(message: string): { type: string; name: string; id: number }[] {
  const root = new protobuf.Root().loadSync(PROTO_PATH, { keepCase: true });
  return root.lookupType(`com.example.grpc.${message}`).fieldsArray.map((f) => ({ type: f.type, name: f.name, id: f.id }));
}

function checks(address: string): [string, () => Promise<string>][] {
  const check = (services: string[]) => async () => {
    const listed = ok(await grpcurl(address, ["list"]), "list").split("\n").map((l) => l.trim());
    const missing = services.filter((s) => !listed.includes(s));
    assert(missing.length === 0, `list lacks ${missing.join(", ")}: got ${listed.filter(Boolean).join(", ")}`);
    return `lists ${services.join(", ")}`;
  };
  const health = (service: string) => async () => {
    const out = ok(await grpcurl(address, ["grpc.health.v1.Health/Check"], JSON.stringify({ service })), "Check");
    const answer = JSON.parse(out) as { status?: string };
    assert(answer.status === "SERVING", `answer ${oneLine(out)}, expected status SERVING`);
    return oneLine(out);
  };
  return [
    ["list", check(["com.example.grpc.EchoService", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"])],
    [
      "describe com.example.grpc.EchoService",
      async () => {
        const out = ok(await grpcurl(address, ["describe", "com.example.grpc.EchoService"]), "describe");
        const rpc = /rpc echo \( \.?com\.example\.grpc\.EchoRequest \) returns \( \.?com\.example\.grpc\.EchoResponse \)/;
        assert(rpc.test(out), `no echo(EchoRequest) returns (EchoResponse) in: ${oneLine(out)}`);
        return oneLine(out.split("\n").find((l) => l.includes("rpc echo")) ?? "");
      },
    ],
    ...["EchoRequest", "EchoResponse"].map((message): [string, () => Promise<string>] => [
      `describe com.example.grpc.${message}`,
      async () => {
        const out = ok(await grpcurl(address, ["describe", `com.example.grpc.${message}`]), "describe");
        const expected = protoFields(message).map((f) => `${f.type} ${f.name} = ${f.id};`);
        const lines = out.split("\n").map((l) => l.trim());
        const missing = expected.filter((e) => !lines.includes(e));
        assert(missing.length === 0, `lacks ${missing.join(" ")} (as in proto/echo.proto): ${oneLine(out)}`);
        return `${expected.join(" ")} as in proto/echo.proto`;
      },
    ]),
    [
      "describe grpc.health.v1.HealthListResponse (a map field)",
      async () => {
        const out = ok(await grpcurl(address, ["describe", "grpc.health.v1.HealthListResponse"]), "describe");
        const map = /map<string, \.?grpc\.health\.v1\.HealthCheckResponse> statuses = 1;/;
        assert(map.test(out), `no map<string, HealthCheckResponse> statuses = 1 in: ${oneLine(out)}`);
        return oneLine(out.split("\n").find((l) => l.includes("statuses")) ?? "");
      },
    ],
    [
      "call com.example.grpc.EchoService/echo",
      async () => {
        const out = ok(await grpcurl(address, ["com.example.grpc.EchoService/echo"], '{"message":"hi"}'), "echo");
        // grpcurl prints the field names of the descriptor (pod_name), not JSON's camelCase.
        const answer = JSON.parse(out) as Record<string, unknown>;
        assert(
          answer.message === "hi" && answer.pod_name === POD_NAME && answer.from === HOST,
          `answer ${oneLine(out)}, expected message "hi", pod_name "${POD_NAME}", from "${HOST}"`,
        );
        return oneLine(out);
      },
    ],
    ['call grpc.health.v1.Health/Check {"service":""}', health("")],
    ['call grpc.health.v1.Health/Check {"service":"com.example.grpc.EchoService"}', health("com.example.grpc.EchoService")],
  ];
}

async function main(): Promise<void> {
  if (!GRPCURL) {
    run.fail("setup", "GRPCURL is not set: run this through test/grpcurl/run.sh");
  } else {
    let server: ServerProcess | undefined;
    await run.check("start the echo server", async () => {
      server = await startServer({ name: POD_NAME, host: HOST, port: await freePort([HOST]) });
      return `listening on ${HOST}:${server.port}`;
    });
    if (server) {
      try {
        for (const [name, check] of checks(`${HOST}:${server.port}`)) await run.check(name, check);
      } finally {
        await server.stop("SIGTERM", 5000).catch(() => server?.child.kill("SIGKILL"));
      }
    }
  }
  run.finish();
}

void main();
