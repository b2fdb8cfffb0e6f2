// Entry point of the echo server: `node dist/echo/server.js` (also the image's CMD).
import { readSettingsOrExit } from "./env";
import { startEchoServer } from "./echoServer";
import { readServerConfig, ServerConfig } from "./serverConfig";

function describe(config: ServerConfig, address: string): string {
  const age = config.maxConnectionAgeMs > 0 ? `${config.maxConnectionAgeMs}ms (grace ${config.maxConnectionAgeGraceMs}ms)` : "off";
  const keepalive = config.keepaliveTimeMs > 0 ? `${config.keepaliveTimeMs}ms (timeout ${config.keepaliveTimeoutMs}ms)` : "off";
  const cost =
    config.serviceTimeMs > 0 || config.maxConcurrentCalls > 0
      ? `, simulated cost ${config.serviceTimeMs}ms per call, at most ${config.maxConcurrentCalls || "unlimited"} at once`
      : "";
  return (
    `Echo server listening on ${address} as ${config.podName} (${config.podIp}); ` +
    `max connection age ${age}, keepalive ${keepalive}, shutdown grace ${config.shutdownGraceMs}ms, ` +
    `max message ${config.maxMessageBytes} bytes, request logging ${config.logRequests ? "on" : "off"}${cost}`
  );
}

async function main(): Promise<void> {
  const config = readSettingsOrExit("echo server", readServerConfig);

  const server = await startEchoServer(config, (line) => console.log(line));
  console.log(describe(config, server.address));

  let draining = false;
  const stop = (signal: string) => {
    // A repeated signal changes nothing: the drain is already bounded by the grace period.
    if (draining) return;
    draining = true;
    console.log(`${signal} received: health NOT_SERVING, draining (up to ${config.shutdownGraceMs}ms)`);
    void server.shutdown(config.shutdownGraceMs).then((clean) => {
      console.log(clean ? "All calls finished; exiting" : "Grace period over; remaining connections closed; exiting");
      process.exit(0);
    });
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((error: unknown) => {
  console.error("echo server: failed to start:", error instanceof Error ? error.message : error);
  process.exit(1);
});
