// The echo image, proven with a real Docker engine (issue 5). Started by
// test/containers/run.sh, which provides the engine and builds the image; each
// check starts its own containers on its own user-defined network, so one
// failing check does not hide another. Prints one PASS/FAIL line per check and
// ends with the line "N passed, N failed"; exits non-zero if any check failed.
//
// Only addresses of containers this run created are contacted: the health
// probes go from this process to container IPs on the run's networks, and the
// echo clients run in containers on those networks.
import type { Summary } from "../../echo/callStats";
import { ECHO_SERVICE_NAME } from "../../echo/proto";
import { checkHealth, healthClient } from "../support/grpcClients";
import { poll } from "../support/poll";
import { Docker, HARDENED } from "./docker";

const IMAGE = requireEnv("GRPC_LB_TEST_IMAGE");
const BASE_IMAGE = requireEnv("GRPC_LB_TEST_BASE_IMAGE");
const docker = new Docker(requireEnv("DOCKER"), requireEnv("GRPC_LB_TEST_LABEL"), `grpc-lb-t${process.pid}`);

const PORT = 8080;
const UID = "10001";
const MAX_OWN_LAYERS_BYTES = 40_000_000;
const SHUTDOWN_GRACE_MS = 10_000;
const RUNTIME_DEPS = ["@grpc/grpc-js", "@grpc/proto-loader", "@grpc/reflection", "grpc-health-check"];
const BUILD_ONLY = ["typescript", "@pulumi", "mocha", "eslint", "ts-node", "@types/mocha", "typescript-eslint"];

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through test/containers/run.sh`);
  return value;
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

// ---------------------------------------------------------------- helpers ---

/** A server container, hardened like the Deployment's pods, named so clients' byBackend keys say which. */
async function startServer(network: string, role: string, alias: string, env: Record<string, string> = {}): Promise<string> {
  const envArgs = Object.entries({ LOG_REQUESTS: "false", ...env }).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
  const name = docker.name(role);
  await docker.start(role, [...HARDENED, "--network", network, "--network-alias", alias, "-e", `POD_NAME=${name}`, ...envArgs, IMAGE]);
  return name;
}

/** Health of `service` at ip:8080, asked from this process. */
async function health(ip: string, service: string): Promise<string> {
  const client = healthClient(`${ip}:${PORT}`);
  try {
    return await Promise.race([
      checkHealth(client, service),
      sleep(3000).then(() => Promise.reject(new Error(`no health answer from ${ip} within 3 s`))),
    ]);
  } finally {
    client.close();
  }
}

/** Waits (bounded) until the server answers SERVING for the whole server and the echo service. */
async function waitServing(container: string, network: string): Promise<string> {
  const ip = await docker.ipOn(container, network);
  await poll(`${container} SERVING`, 60, 250, async () => {
    if ((await docker.inspect(container, "{{.State.Running}}")) !== "true") {
      const logs = await docker.exec(["logs", "--tail", "5", container]);
      throw new Error(`${container} is not running: ${(logs.stdout + logs.stderr).trim()}`);
    }
    const statuses = await Promise.all(["", ECHO_SERVICE_NAME].map((service) => health(ip, service)));
    return statuses.every((s) => s === "SERVING") ? true : undefined;
  });
  return ip;
}

function clientOptions(network: string, alias: string, env: Record<string, string>): string[] {
  const all = {
    ECHO_SERVICE_TARGET: `dns:///${alias}:${PORT}`,
    ECHO_LOG_FORMAT: "json",
    ECHO_DEADLINE_MS: "5000",
    ECHO_SUMMARY_INTERVAL_MS: "0",
    ...env,
  };
  return [...HARDENED, "--network", network, ...Object.entries(all).flatMap(([k, v]) => ["-e", `${k}=${v}`]), IMAGE];
}

const CLIENT_COMMAND = ["node", "dist/echo/client.js"];

/** The client's last stdout line: its summary. */
function parseSummary(stdout: string): Summary {
  const lines = stdout.trim().split("\n");
  const last = lines[lines.length - 1] ?? "";
  try {
    const summary = JSON.parse(last) as Summary;
    if (summary.event === "summary") return summary;
  } catch {
    // reported below
  }
  throw new Error(`the client's last line is not a summary: ${last.slice(0, 300)}`);
}

const shares = (s: Summary) =>
  Object.entries(s.byBackend)
    .map(([pod, n]) => `${pod.replace(`${docker.prefix}-`, "")} ${n}`)
    .join(", ");

/**
 * Three servers sharing one --network-alias (Docker's DNS then answers with all
 * three, like a headless Service) and a client container with `policy` making
 * 300 calls to dns:///<alias>:8080. Fails unless every call succeeded.
 */
async function aliasClientRun(name: string, policy: string): Promise<{ servers: string[]; summary: Summary; calls: number }> {
  const network = await docker.createNetwork(name);
  const alias = `echo-${name}`;
  const servers = await Promise.all(["a", "b", "c"].map((n) => startServer(network, `${name}-${n}`, alias)));
  await Promise.all(servers.map((s) => waitServing(s, network)));

  const calls = 300;
  const result = await docker.runToEnd(
    `${name}-${policy === "round_robin" ? "rr" : "pf"}-client`,
    clientOptions(network, alias, { ECHO_LB_POLICY: policy, ECHO_REQUESTS: String(calls), ECHO_INTERVAL_MS: "0", ECHO_RETRIES: "0" }),
    CLIENT_COMMAND,
  );
  assert(result.code === 0, `client exited ${result.code}: ${result.stderr.trim().slice(0, 300)}`);
  const summary = parseSummary(result.stdout);
  assert(summary.policy === policy, `client ran with policy ${summary.policy}`);
  assert(summary.ok === calls && summary.failed === 0, `${summary.ok} ok, ${summary.failed} failed of ${calls}`);
  return { servers, summary, calls };
}

// ----------------------------------------------------------------- checks ---

interface Check {
  title: string;
  /** Resolves with what was seen on success; throws with the reason on failure. */
  run(): Promise<string>;
}

const checks: Check[] = [
  {
    title: "1. runs as a non-root user with a read-only root filesystem and no capabilities; health answers SERVING",
    async run() {
      const network = await docker.createNetwork("hardening");
      const server = await startServer(network, "hardening-server", "echo-server");
      const ip = await waitServing(server, network);

      const user = await docker.inspect(server, "{{.Config.User}}");
      assert(user === `${UID}:${UID}`, `image user is "${user}", expected the numeric ${UID}:${UID}`);
      const readOnly = await docker.inspect(server, "{{.HostConfig.ReadonlyRootfs}}");
      assert(readOnly === "true", "the container's root filesystem is not read-only");

      // Seen from inside: the server process's ids and capabilities, and that nothing can be written.
      const probe = `
        const status = fs.readFileSync("/proc/1/status", "utf8");
        const field = (name) => status.match(new RegExp("^" + name + ":\\\\s*(.*)$", "m"))[1].trim();
        const tryWrite = (path) => { try { fs.writeFileSync(path, "x"); return "written"; } catch (e) { return e.code; } };
        console.log(JSON.stringify({ uid: field("Uid"), gid: field("Gid"), capEff: field("CapEff"),
          capPrm: field("CapPrm"), app: tryWrite("/app/probe"), tmp: tryWrite("/tmp/probe") }));`;
      const seen = JSON.parse(await docker.ok(["exec", server, "node", "-e", probe])) as Record<string, string>;
      assert(seen.uid.split(/\s+/).every((id) => id === UID), `server process uids are "${seen.uid}", expected ${UID}`);
      assert(seen.gid.split(/\s+/).every((id) => id === UID), `server process gids are "${seen.gid}", expected ${UID}`);
      assert(/^0+$/.test(seen.capEff) && /^0+$/.test(seen.capPrm), `server process has capabilities: CapEff ${seen.capEff}, CapPrm ${seen.capPrm}`);
      assert(seen.app === "EROFS" && seen.tmp === "EROFS", `writes to /app and /tmp gave ${seen.app} and ${seen.tmp}, expected EROFS`);

      const whole = await health(ip, "");
      const service = await health(ip, ECHO_SERVICE_NAME);
      return `uid/gid ${UID}, CapEff ${seen.capEff}, writes to /app and /tmp fail with EROFS; health "" ${whole}, ${ECHO_SERVICE_NAME} ${service}`;
    },
  },
  {
    title: "2. three servers under one --network-alias: a round_robin client (dns:///) spreads over all 3",
    async run() {
      const { servers, summary, calls } = await aliasClientRun("spread", "round_robin");
      const counts = servers.map((s) => summary.byBackend[s] ?? 0);
      const floor = Math.ceil(calls * 0.2);
      assert(
        counts.every((n) => n >= floor) && Object.keys(summary.byBackend).length === servers.length,
        `expected each of the 3 servers to get >= ${floor} of ${calls} calls (20%), got: ${shares(summary)}`,
      );
      return `${calls} calls, 0 failed: ${shares(summary)}`;
    },
  },
  {
    title: "3. the same three servers behind the alias: a pick_first client stays on one",
    async run() {
      const { servers, summary, calls } = await aliasClientRun("pin", "pick_first");
      const used = Object.keys(summary.byBackend);
      assert(used.length === 1 && servers.includes(used[0]), `expected all calls on one server, got: ${shares(summary)}`);
      return `${calls} calls, 0 failed, all on ${shares(summary)}`;
    },
  },
  {
    title: "4. docker stop (SIGTERM) of a server under a round_robin client with retries: exit 0 within the grace period, no failed call",
    async run() {
      const network = await docker.createNetwork("drain");
      const env = { SHUTDOWN_GRACE_MS: String(SHUTDOWN_GRACE_MS) };
      const servers = await Promise.all(["a", "b", "c"].map((n) => startServer(network, `drain-${n}`, "echo-drain", env)));
      await Promise.all(servers.map((s) => waitServing(s, network)));
      const victim = servers[1];

      // About 10 s of calls at this pace, so the stop happens in the middle of the run.
      const calls = 1500;
      const client = await docker.start(
        "drain-client",
        clientOptions(network, "echo-drain", { ECHO_LB_POLICY: "round_robin", ECHO_REQUESTS: String(calls), ECHO_INTERVAL_MS: "40", ECHO_CONCURRENCY: "4", ECHO_RETRIES: "3" }),
        CLIENT_COMMAND,
      );
      const responseLines = async () =>
        (await docker.ok(["logs", client])).split("\n").filter((line) => line.startsWith('{"event":"response"'));
      await poll("client calls reaching the server to be stopped", 60, 250, async () => {
        const lines = await responseLines();
        return lines.length >= 150 && lines.some((l) => l.includes(`"pod":"${victim}"`)) ? true : undefined;
      });

      const stopStarted = Date.now();
      // -t above the server's grace: Docker's SIGKILL must not be what ends it.
      await docker.ok(["stop", "--time", String(SHUTDOWN_GRACE_MS / 1000 + 20), victim], SHUTDOWN_GRACE_MS + 30_000);
      const stopMs = Date.now() - stopStarted;
      const clientRunning = await docker.inspect(client, "{{.State.Running}}");
      const afterStop = (await responseLines()).length;

      const exitCode = await docker.inspect(victim, "{{.State.ExitCode}}");
      const oomKilled = await docker.inspect(victim, "{{.State.OOMKilled}}");
      const victimLog = await docker.exec(["logs", victim]);
      assert(exitCode === "0" && oomKilled === "false", `stopped server exited ${exitCode} (OOMKilled ${oomKilled}); its log: ${(victimLog.stdout + victimLog.stderr).trim().slice(-400)}`);
      assert(stopMs <= SHUTDOWN_GRACE_MS + 2000, `stopping the server took ${stopMs} ms, more than its ${SHUTDOWN_GRACE_MS} ms grace period`);
      assert(clientRunning === "true", `the client had already finished when the stop completed (raise its call count): the stop proved nothing`);

      const clientExit = (await docker.ok(["wait", client], 120_000)).trim();
      const clientStdout = await docker.ok(["logs", client]);
      const summary = parseSummary(clientStdout);
      assert(clientExit === "0", `client exited ${clientExit}`);
      assert(summary.failed === 0, `the client saw ${summary.failed} failed calls: ${clientStdout.split("\n").filter((l) => l.includes('"event":"error"')).slice(0, 3).join(" ")}`);
      assert(summary.ok === calls, `the client finished with ${summary.ok} ok of ${calls}`);
      const others = servers.filter((s) => s !== victim);
      assert(others.every((s) => (summary.byBackend[s] ?? 0) > 0), `the remaining servers did not share the calls: ${shares(summary)}`);
      return (
        `server exited 0 in ${(stopMs / 1000).toFixed(1)} s (grace ${SHUTDOWN_GRACE_MS / 1000} s); ` +
        `client: ${summary.ok} ok (${calls - afterStop} after the stop), 0 failed; ${shares(summary)}`
      );
    },
  },
  {
    title: "5. the image's own layers (above the base) stay under 40 MB",
    async run() {
      const imageLayers = await docker.inspectJson<string[]>(IMAGE, ".RootFS.Layers");
      const baseLayers = await docker.inspectJson<string[]>(BASE_IMAGE, ".RootFS.Layers");
      assert(
        baseLayers.every((layer, i) => imageLayers[i] === layer),
        `the image is not built on ${BASE_IMAGE}: its first layers differ`,
      );
      const imageBytes = Number(await docker.inspect(IMAGE, "{{.Size}}"));
      const baseBytes = Number(await docker.inspect(BASE_IMAGE, "{{.Size}}"));
      const own = imageBytes - baseBytes;
      const detail = `own layers ${mb(own)} (${imageLayers.length - baseLayers.length} layers; image ${mb(imageBytes)}, base ${mb(baseBytes)})`;
      assert(own <= MAX_OWN_LAYERS_BYTES, `${detail}: above the ${mb(MAX_OWN_LAYERS_BYTES)} limit`);
      return detail;
    },
  },
  {
    title: "6. the runtime image holds only the echo service's runtime dependencies, compiled JS and the proto",
    async run() {
      const probe = `
        const top = fs.readdirSync("node_modules").flatMap((d) =>
          d.startsWith("@") ? fs.readdirSync("node_modules/" + d).map((p) => d + "/" + p) : [d]);
        const files = (dir) => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
          e.isDirectory() ? files(dir + "/" + e.name) : [dir + "/" + e.name]);
        console.log(JSON.stringify({ top, app: fs.readdirSync("."), dist: files("dist"), proto: fs.readdirSync("proto") }));`;
      const seen = JSON.parse(
        await docker.ok(["run", "--rm", "--label", docker.label, ...HARDENED, "--network", "none", IMAGE, "node", "-e", probe]),
      ) as { top: string[]; app: string[]; dist: string[]; proto: string[] };

      const missing = RUNTIME_DEPS.filter((dep) => !seen.top.includes(dep));
      assert(missing.length === 0, `runtime dependencies missing from node_modules: ${missing.join(", ")}`);
      const extra = seen.top.filter((dep) => BUILD_ONLY.some((b) => dep === b || dep.startsWith(`${b}/`)));
      assert(extra.length === 0, `build or tooling packages in the runtime image: ${extra.join(", ")}`);
      const unexpectedApp = seen.app.filter((entry) => !["dist", "node_modules", "proto"].includes(entry));
      assert(unexpectedApp.length === 0, `unexpected entries in /app: ${unexpectedApp.join(", ")}`);
      // echo/ and its subdirectories (echo/kubernetes: the resolver of mode api), nothing else.
      const notEcho = seen.dist.filter((file) => !/^dist\/echo\/(?:[^/]+\/)*[^/]+\.js$/.test(file));
      assert(notEcho.length === 0, `dist/ holds more than the echo service's JS: ${notEcho.slice(0, 5).join(", ")}`);
      const entries = ["dist/echo/server.js", "dist/echo/client.js", "dist/echo/resolve.js", "dist/echo/kubernetes/register.js"];
      const absent = entries.filter((entry) => !seen.dist.includes(entry));
      assert(absent.length === 0, `dist/echo lacks ${absent.join(", ")}`);
      assert(seen.proto.includes("echo.proto"), "proto/echo.proto is missing");
      return `/app: ${seen.app.join(", ")}; ${seen.top.length} packages in node_modules, none of ${BUILD_ONLY.join(", ")}; ${seen.dist.length} files in dist/echo`;
    },
  },
];

// If run.sh is killed outright (SIGKILL), stop too rather than go on against an
// engine that is being stopped or, worse, the next run's.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) {
    console.error("container checks: run.sh is gone; stopping");
    process.exit(1);
  }
}, 500).unref();

async function main(): Promise<void> {
  console.log(`Container checks: image ${IMAGE} on base ${BASE_IMAGE}`);
  let passed = 0;
  let failed = 0;
  for (const check of checks) {
    const started = Date.now();
    try {
      const detail = await check.run();
      passed++;
      console.log(`PASS ${check.title}\n     ${detail} [${((Date.now() - started) / 1000).toFixed(1)} s]`);
    } catch (error) {
      failed++;
      console.log(`FAIL ${check.title}\n     ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      await docker.cleanUp();
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  // Exit now: a gRPC connection attempt to a container that is gone may keep the loop alive.
  process.exit(failed === 0 ? 0 : 1);
}

main().catch(async (error: unknown) => {
  console.error("container checks could not run:", error instanceof Error ? error.message : error);
  await docker.cleanUp();
  process.exit(1);
});
