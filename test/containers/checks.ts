// The echo image, and mode l7's HAProxy proxy in front of it, proven with a real
// Docker engine (issue 5). Started by test/containers/run.sh, which provides the
// engine and builds the images; each check starts its own containers on its own
// user-defined network, so one failing check does not hide another. Prints one
// PASS/FAIL line per check and ends with the line "N passed, N failed"; exits
// non-zero if any check failed.
//
// Only addresses of containers this run created are contacted: the health
// probes and the proxy's /ready go from this process to container IPs on the
// run's networks, and the echo clients run in containers on those networks.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  HAPROXY_COMMAND,
  HAPROXY_CONFIG_DIR,
  HAPROXY_CONFIG_FILE,
  haproxyConfig,
  PROXY_HEALTH_PORT,
  PROXY_NEW_SERVER_WITHIN_MS,
  PROXY_READY_PATH,
  PROXY_TIMING,
  serverSlots,
} from "../../components/haproxyConfig";
import type { Summary } from "../../echo/callStats";
import { ECHO_SERVICE_NAME } from "../../echo/proto";
import { httpStatus } from "../../lab/haproxy";
import { checkHealth, healthClient } from "../support/grpcClients";
import { poll } from "../support/poll";
import { Docker, HARDENED } from "./docker";

const IMAGE = requireEnv("GRPC_LB_TEST_IMAGE");
const BASE_IMAGE = requireEnv("GRPC_LB_TEST_BASE_IMAGE");
/** Mode l7's HAProxy image (scripts/docker/make-haproxy-image.sh); empty when run.sh could not make it, and why. */
const PROXY_IMAGE = process.env.GRPC_LB_TEST_PROXY_IMAGE ?? "";
const PROXY_IMAGE_ERROR = (process.env.GRPC_LB_TEST_PROXY_IMAGE_ERROR ?? "").trim();
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

/** Three servers sharing one --network-alias: Docker's DNS then answers with all three, like a headless Service. */
async function aliasServers(network: string, name: string, alias: string): Promise<string[]> {
  const servers = await Promise.all(["a", "b", "c"].map((n) => startServer(network, `${name}-${n}`, alias)));
  await Promise.all(servers.map((s) => waitServing(s, network)));
  return servers;
}

/** A client container with `policy` making `calls` calls to dns:///<host>:8080, to its end. Fails unless every call succeeded. */
async function clientRun(role: string, network: string, host: string, policy: string, calls: number): Promise<Summary> {
  const result = await docker.runToEnd(
    role,
    clientOptions(network, host, { ECHO_LB_POLICY: policy, ECHO_REQUESTS: String(calls), ECHO_INTERVAL_MS: "0", ECHO_RETRIES: "0" }),
    CLIENT_COMMAND,
  );
  assert(result.code === 0, `client exited ${result.code}: ${result.stderr.trim().slice(0, 300)}`);
  const summary = parseSummary(result.stdout);
  assert(summary.policy === policy, `client ran with policy ${summary.policy}`);
  assert(summary.ok === calls && summary.failed === 0, `${summary.ok} ok, ${summary.failed} failed of ${calls}`);
  return summary;
}

/** The servers under one alias and a client container with `policy` making 300 calls to dns:///<alias>:8080. */
async function aliasClientRun(name: string, policy: string): Promise<{ servers: string[]; summary: Summary; calls: number }> {
  const network = await docker.createNetwork(name);
  const alias = `echo-${name}`;
  const servers = await aliasServers(network, name, alias);
  const calls = 300;
  const summary = await clientRun(`${name}-${policy === "round_robin" ? "rr" : "pf"}-client`, network, alias, policy, calls);
  return { servers, summary, calls };
}

// ------------------------------------------------------ mode l7's proxy ---

/** The haproxy image, or a failure with the reason run.sh could not make it: no haproxy is a FAIL, never a skip. */
function requireProxyImage(): string {
  if (PROXY_IMAGE) return PROXY_IMAGE;
  throw new Error(`no haproxy image to run: ${PROXY_IMAGE_ERROR || "GRPC_LB_TEST_PROXY_IMAGE is not set: run this through test/containers/run.sh"}`);
}

/** Host directories holding the proxies' configuration, removed after each check. */
const configDirs: string[] = [];

/**
 * Mode l7's proxy as the Deployment runs it: the local haproxy image, hardened like the
 * pod (uid 10001, read-only root, no capabilities), the command and the configuration
 * the stack ships (parse-resolv-conf: here Docker's embedded DNS, from the container's
 * /etc/resolv.conf) mounted read-only where the ConfigMap goes, upstream = the alias.
 * Resolves once its /ready answers 200 (HAProxy counts a server up).
 */
async function startProxy(image: string, network: string, role: string, upstreamAlias: string, serverCount: number): Promise<{ proxy: string; ip: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "grpc-lb-proxy-config-"));
  configDirs.push(dir);
  const config = haproxyConfig({
    listen: { host: "", port: PORT },
    health: { host: "", port: PROXY_HEALTH_PORT },
    upstream: { host: upstreamAlias, port: PORT, slots: serverSlots(serverCount) },
    nameservers: "resolv.conf",
  });
  fs.writeFileSync(path.join(dir, HAPROXY_CONFIG_FILE), config, { mode: 0o644 });
  fs.chmodSync(dir, 0o755);
  const options = [...HARDENED, "--user", `${UID}:${UID}`, "--network", network, "-v", `${dir}:${HAPROXY_CONFIG_DIR}:ro`, image];
  const proxy = await docker.start(role, options, HAPROXY_COMMAND);
  const ip = await docker.ipOn(proxy, network);
  await poll(`${proxy} ${PROXY_READY_PATH} answering 200`, 60, 250, async () => {
    if ((await docker.inspect(proxy, "{{.State.Running}}")) !== "true") {
      throw new Error(`${proxy} is not running: ${await proxyLog(proxy)}`);
    }
    return (await httpStatus(ip, PROXY_HEALTH_PORT, PROXY_READY_PATH)) === 200 ? true : undefined;
  });
  return { proxy, ip };
}

/**
 * Three servers under the alias echo-<name> on a new network, and mode l7's proxy in
 * front of them with room for `serverCount` servers. Fails first if there is no haproxy image.
 */
async function l7Stack(name: string, serverCount: number): Promise<{ network: string; alias: string; servers: string[]; proxy: string; ip: string }> {
  const image = requireProxyImage();
  const network = await docker.createNetwork(name);
  const alias = `echo-${name}`;
  const servers = await aliasServers(network, name, alias);
  const { proxy, ip } = await startProxy(image, network, `${name}-proxy`, alias, serverCount);
  return { network, alias, servers, proxy, ip };
}

async function proxyLog(proxy: string): Promise<string> {
  const logs = await docker.exec(["logs", "--tail", "8", proxy]);
  return (logs.stdout + logs.stderr).trim().replace(/\n/g, " | ");
}

/**
 * How long HAProxy may take to use a server it has not seen. Docker's DNS names a container
 * before its server listens (a cluster names a pod only once it is ready), so HAProxy may
 * first find it refusing and mark it down: its next query, then one passing check, and a
 * second of slack.
 */
const NEW_SERVER_WITHIN_MS = PROXY_NEW_SERVER_WITHIN_MS + PROXY_TIMING.checkIntervalMs + PROXY_TIMING.checkTimeoutMs + 1000;

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
  {
    title: "7. mode l7: HAProxy as shipped (parse-resolv-conf, hardened) in front of three servers under one alias: a pick_first client reaches all 3; /ready says 200",
    async run() {
      const { network, servers, proxy, ip } = await l7Stack("l7", 3);
      // /ready is 200 from the first server up: give HAProxy the time to resolve and check them all.
      await sleep(NEW_SERVER_WITHIN_MS);

      const calls = 300;
      const summary = await clientRun("l7-pf-client", network, proxy, "pick_first", calls);
      const counts = servers.map((s) => summary.byBackend[s] ?? 0);
      const floor = Math.ceil(calls * 0.2);
      assert(
        counts.every((n) => n >= floor) && Object.keys(summary.byBackend).length === servers.length,
        `expected each of the 3 servers to get >= ${floor} of ${calls} calls (20%) through the proxy, got: ${shares(summary)}`,
      );
      const ready = await httpStatus(ip, PROXY_HEALTH_PORT, PROXY_READY_PATH);
      assert(ready === 200, `the proxy's ${PROXY_READY_PATH} answered ${ready} after the calls, expected 200`);
      return `one connection to ${proxy.replace(`${docker.prefix}-`, "")}, ${calls} calls, 0 failed: ${shares(summary)}; ${PROXY_READY_PATH} ${ready}`;
    },
  },
  {
    title: "8. mode l7: a 4th server under the alias gets calls through the running proxy; docker stop (SIGUSR1) ends the proxy with exit 0",
    async run() {
      const { network, alias, servers, proxy } = await l7Stack("l7-grow", 4);
      const proxyStartedAt = await docker.inspect(proxy, "{{.State.StartedAt}}");

      // A pick_first client that keeps calling through its one connection to the proxy.
      const client = await docker.start(
        "l7-grow-client",
        clientOptions(network, proxy, { ECHO_LB_POLICY: "pick_first", ECHO_REQUESTS: "100000", ECHO_INTERVAL_MS: "20", ECHO_CONCURRENCY: "2", ECHO_RETRIES: "0" }),
        CLIENT_COMMAND,
      );
      const clientLines = async () => (await docker.ok(["logs", client])).split("\n");
      const responses = (lines: string[]) => lines.filter((line) => line.startsWith('{"event":"response"'));
      await poll("client calls through the proxy", 60, 250, async () => ((responses(await clientLines())).length >= 50 ? true : undefined));

      const added = Date.now();
      const fourth = await startServer(network, "l7-grow-d", alias);
      await waitServing(fourth, network);
      const servingMs = Date.now() - added;
      const firstCallMs = await poll(`calls through the proxy reaching ${fourth}`, 80, 250, async () =>
        responses(await clientLines()).some((line) => line.includes(`"pod":"${fourth}"`)) ? Date.now() - added : undefined,
      );
      const lines = await clientLines();
      const failed = lines.filter((line) => line.startsWith('{"event":"error"'));
      const byServer = [...servers, fourth].map((s) => `${s.replace(`${docker.prefix}-`, "")} ${responses(lines).filter((l) => l.includes(`"pod":"${s}"`)).length}`);
      assert(failed.length === 0, `the client saw ${failed.length} failed calls: ${failed.slice(0, 3).join(" ")}`);
      assert(
        firstCallMs - servingMs <= NEW_SERVER_WITHIN_MS,
        `the 4th server got its first call ${firstCallMs - servingMs} ms after it was SERVING, more than ${NEW_SERVER_WITHIN_MS} ms`,
      );
      const restarts = await docker.inspect(proxy, "{{.RestartCount}}");
      const startedAt = await docker.inspect(proxy, "{{.State.StartedAt}}");
      assert(restarts === "0" && startedAt === proxyStartedAt, `the proxy restarted (${restarts} restarts, started ${proxyStartedAt}, now ${startedAt})`);
      assert((await docker.inspect(client, "{{.State.Running}}")) === "true", "the client stopped before the 4th server got calls");

      // The image's stop signal, which `docker stop` sends (SIGUSR1: HAProxy's soft stop), with the client still connected.
      const stopSignal = await docker.inspect(proxy, "{{.Config.StopSignal}}");
      assert(stopSignal === "SIGUSR1", `the proxy's stop signal is "${stopSignal}", expected the image's SIGUSR1`);
      const stopStarted = Date.now();
      await docker.ok(["stop", "--time", String(PROXY_TIMING.hardStopAfterMs / 1000 + 20), proxy], PROXY_TIMING.hardStopAfterMs + 30_000);
      const stopMs = Date.now() - stopStarted;
      const exitCode = await docker.inspect(proxy, "{{.State.ExitCode}}");
      assert(exitCode === "0", `the proxy exited ${exitCode} after docker stop; its log: ${await proxyLog(proxy)}`);
      assert(stopMs <= PROXY_TIMING.hardStopAfterMs + 2000, `stopping the proxy took ${stopMs} ms, more than its hard-stop-after ${PROXY_TIMING.hardStopAfterMs} ms`);
      return (
        `4th server SERVING ${(servingMs / 1000).toFixed(1)} s after docker run, first call through the proxy at ${(firstCallMs / 1000).toFixed(1)} s ` +
        `(${((firstCallMs - servingMs) / 1000).toFixed(1)} s after SERVING), no restart, 0 failed; calls so far: ${byServer.join(", ")}; ` +
        `docker stop (${stopSignal}): exit ${exitCode} in ${(stopMs / 1000).toFixed(1)} s`
      );
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
      for (const dir of configDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  // Exit now: a gRPC connection attempt to a container that is gone may keep the loop alive.
  process.exit(failed === 0 ? 0 : 1);
}

main().catch(async (error: unknown) => {
  console.error("container checks could not run:", error instanceof Error ? error.message : error);
  await docker.cleanUp();
  for (const dir of configDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  process.exit(1);
});
