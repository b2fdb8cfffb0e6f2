// Bad input gets a clear answer and the server keeps serving.
import { strict as assert } from "node:assert";
import * as grpc from "@grpc/grpc-js";
import { CLIENT_ENTRY, freePort, SERVER_ENTRY, ServerProcess, startServer } from "../../lab/processes";
import { spawnSync } from "node:child_process";
import { echo, echoClient, sendGarbage } from "../support/grpcClients";
import { EchoClient } from "../../echo/proto";

describe("bad input", () => {
  let server: ServerProcess;
  let client: EchoClient;

  before(async () => {
    const port = await freePort(["127.0.0.1"]);
    server = await startServer({ name: "bad-input", host: "127.0.0.1", port, env: { MAX_MESSAGE_BYTES: "1024" } });
    client = echoClient(`127.0.0.1:${port}`);
  });
  after(async () => {
    client.close();
    await server.stop("SIGKILL");
  });

  it("a request over MAX_MESSAGE_BYTES gets RESOURCE_EXHAUSTED, and the next call succeeds", async () => {
    await assert.rejects(echo(client, "x".repeat(2000)), (error: grpc.ServiceError) => {
      assert.equal(error.code, grpc.status.RESOURCE_EXHAUSTED, error.message);
      return true;
    });
    const response = await echo(client, "small");
    assert.equal(response.message, "small");
    assert.equal(response.podName, "bad-input");
  });

  it("garbage bytes on the port leave the server serving", async () => {
    await sendGarbage("127.0.0.1", server.port, Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    await sendGarbage("127.0.0.1", server.port, Buffer.alloc(4096, 0xff));
    // A valid HTTP/2 preface followed by nonsense frames.
    await sendGarbage("127.0.0.1", server.port, Buffer.concat([Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), Buffer.alloc(64, 0x7f)]));
    assert.equal(server.child.exitCode, null, "the server exited");
    assert.equal((await echo(client, "still there")).message, "still there");
  });
});

describe("bad environment stops the start with the variable's name", () => {
  const cases: [entry: string, variable: string, value: string][] = [
    [SERVER_ENTRY, "PORT", "http"],
    [SERVER_ENTRY, "PORT", "70000"],
    [SERVER_ENTRY, "MAX_CONNECTION_AGE_MS", "-1"],
    [SERVER_ENTRY, "MAX_CONNECTION_AGE_GRACE_MS", "1.5"],
    [SERVER_ENTRY, "SHUTDOWN_GRACE_MS", "soon"],
    [SERVER_ENTRY, "LOG_REQUESTS", "maybe"],
    [SERVER_ENTRY, "MAX_MESSAGE_BYTES", "0"],
    [SERVER_ENTRY, "POD_NAME", "two words"],
    [CLIENT_ENTRY, "ECHO_LB_POLICY", "roundrobin"],
    [CLIENT_ENTRY, "ECHO_CONCURRENCY", "0"],
    [CLIENT_ENTRY, "ECHO_INTERVAL_MS", "-5"],
    [CLIENT_ENTRY, "ECHO_DEADLINE_MS", "2s"],
    [CLIENT_ENTRY, "ECHO_SUMMARY_INTERVAL_MS", "x"],
    [CLIENT_ENTRY, "ECHO_REQUESTS", "0"],
    [CLIENT_ENTRY, "ECHO_RETRIES", "9"],
    [CLIENT_ENTRY, "ECHO_LOG_FORMAT", "xml"],
    [CLIENT_ENTRY, "ECHO_DNS_MIN_INTERVAL_MS", "-1"],
  ];
  for (const [entry, variable, value] of cases) {
    const program = entry === SERVER_ENTRY ? "server" : "client";
    it(`${program}: ${variable}=${JSON.stringify(value)}`, () => {
      const result = spawnSync(process.execPath, [entry], {
        env: { PATH: process.env.PATH, HOST: "127.0.0.1", PORT: "0", [variable]: value },
        encoding: "utf8",
        timeout: 30000, // against a hang only: a busy machine may take seconds to start node
      });
      assert.notEqual(result.status, 0, `${program} started anyway: ${result.stdout}`);
      assert.notEqual(result.status, null, `${program} did not exit by itself`);
      assert.match(result.stderr, new RegExp(`invalid setting ${variable}: `), result.stderr);
    });
  }
});
