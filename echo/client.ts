// Entry point of the echo client: `node dist/echo/client.js`.
import { readSettingsOrExit } from "./env";
import { needsAlternativeResolver, readClientConfig, usesKubernetesResolver } from "./clientConfig";

async function main(): Promise<void> {
  const config = readSettingsOrExit("echo client", readClientConfig);
  // Must happen before grpc-js is loaded, hence the imports below come after it.
  if (needsAlternativeResolver(config.target)) process.env.GRPC_NODE_USE_ALTERNATIVE_RESOLVER ??= "true";
  const { runEchoClient } = await import("./echoClient");
  const { createClientLog } = await import("./clientLog");

  const log = createClientLog(config.logFormat, (line) => console.log(line));
  if (usesKubernetesResolver(config.target)) {
    // Before the channel exists: an unregistered scheme would silently become dns:.
    const { registerKubernetesResolver, onResolution } = await import("./kubernetes/register");
    registerKubernetesResolver();
    onResolution(({ endpoints, error, warning }) => log.endpoints({ endpoints, error, warning }));
  }
  const running = runEchoClient(config, log);
  // stop() is idempotent and bounded by the call deadline, so repeats are harmless.
  process.on("SIGTERM", running.stop);
  process.on("SIGINT", running.stop);
  await running.done;
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error("echo client: failed:", error instanceof Error ? error.message : error);
  process.exit(1);
});
