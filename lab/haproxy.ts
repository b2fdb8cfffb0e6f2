// The haproxy binary the lab runs for mode l7 (Debian's package here): where it is,
// the configuration check the tests run on what the stack ships, and a running proxy
// tracked by PID like every other child of the lab.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { haproxyConfig, HaproxyConfigInput, PROXY_LIVE_PATH, PROXY_READY_PATH } from "../components/haproxyConfig";
import { Child, startTracked } from "./processes";
import { within } from "./timing";

/** The one line a user without haproxy reads. */
export const HAPROXY_HINT = "mode l7 needs haproxy on PATH (or HAPROXY=<path>): apt-get install haproxy (Debian, Ubuntu) or brew install haproxy (macOS)";

/** Debian puts haproxy in /usr/sbin, which a user's PATH may lack. */
const SBIN = ["/usr/sbin", "/usr/local/sbin"];

/** Names another haproxy to run (e.g. a 3.x build); when it is not executable, l7 counts as missing. */
export const HAPROXY_ENV = "HAPROXY";

/** The haproxy executable: $HAPROXY when set, else the first on PATH or in sbin; undefined when there is none. */
export function haproxyPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const chosen = env[HAPROXY_ENV];
  const candidates =
    chosen !== undefined
      ? [chosen]
      : [...(env.PATH ?? "").split(path.delimiter).filter(Boolean), ...SBIN].map((dir) => path.join(dir, "haproxy"));
  return candidates.find((candidate) => {
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return fs.statSync(candidate).isFile();
    } catch {
      return false;
    }
  });
}

function requireHaproxy(): string {
  const found = haproxyPath();
  if (!found) throw new Error(HAPROXY_HINT);
  return found;
}

/** The first line of `haproxy -v`, e.g. "HAProxy version 2.6.12-1+deb12u4 2026/10/17 - https://haproxy.org/". */
export function haproxyVersion(): string {
  const result = spawnSync(requireHaproxy(), ["-v"], { encoding: "utf8" });
  return result.stdout.split("\n")[0].trim();
}

/** Runs `haproxy -c` on `text`; throws with HAProxy's own messages when it refuses it. */
export function checkHaproxyConfig(text: string): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "grpc-lb-haproxy-check-"));
  try {
    const file = path.join(dir, "haproxy.cfg");
    fs.writeFileSync(file, text);
    const result = spawnSync(requireHaproxy(), ["-c", "-f", file], { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`haproxy -c refused the configuration:\n${result.stdout}${result.stderr}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** GET http://host:port/path and resolve with the status, or 0 when nothing answers. */
export function httpStatus(host: string, port: number, urlPath: string, timeoutMs = 500): Promise<number> {
  return new Promise((resolve) => {
    const request = http.get({ host, port, path: urlPath, timeout: timeoutMs }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on("timeout", () => request.destroy());
    request.on("error", () => resolve(0));
  });
}

/** Configuration directories not yet removed: an exit on Ctrl-C skips stop(). */
const liveDirs = new Set<string>();
process.once("exit", () => liveDirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

export class HaproxyProcess {
  private constructor(
    private readonly child: Child,
    private readonly dir: string,
    readonly input: HaproxyConfigInput,
    /** Everything HAProxy logged (server state changes, alerts). */
    readonly lines: string[],
  ) {}

  get pid(): number {
    return this.child.pid;
  }

  /** Starts haproxy on the generated configuration and resolves once its health port answers. */
  static async start(input: HaproxyConfigInput, startTimeoutMs = 10_000): Promise<HaproxyProcess> {
    const binary = requireHaproxy();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "grpc-lb-haproxy-"));
    liveDirs.add(dir);
    const file = path.join(dir, "haproxy.cfg");
    fs.writeFileSync(file, haproxyConfig(input));
    const lines: string[] = [];
    // -db: in the foreground, so the PID is haproxy's and its log goes to our pipe.
    const child = startTracked(binary, ["-db", "-f", file], {}, (line) => lines.push(line), { onStderr: (line) => lines.push(line) });
    const proxy = new HaproxyProcess(child, dir, input, lines);
    try {
      await within(proxy.waitFor(PROXY_LIVE_PATH, 200), startTimeoutMs, "haproxy start");
    } catch (error) {
      await proxy.stop();
      throw new Error(`${(error as Error).message}: ${child.stderr.slice(-5).join(" | ")}`);
    }
    return proxy;
  }

  /** Whether HAProxy counts at least one usable server (what the pod's readiness probe asks). */
  async ready(): Promise<boolean> {
    return (await httpStatus(this.input.health.host, this.input.health.port, PROXY_READY_PATH)) === 200;
  }

  /** The slot HAProxy last put `host` in, from its log ("servers/slot2 changed its IP from (none) to 127.0.0.12"). */
  private slotOf(host: string): string | undefined {
    let slot: string | undefined;
    for (const line of this.lines) {
      const change = /servers\/(slot\d+) changed its IP from \S+ to (\S+?)\.? by /.exec(line);
      if (change?.[2] === host) slot = change[1];
      else if (change?.[1] === slot) slot = undefined;
    }
    return slot;
  }

  /**
   * From now on: whether HAProxy has stopped sending calls to the server at `host`, as its
   * log says: its checks marked it DOWN, or a DNS answer without it took its slot down
   * ("going DOWN for maintenance") or gave the slot another address.
   */
  serverOut(host: string): () => boolean {
    const slot = this.slotOf(host);
    const from = this.lines.length;
    const out = [`Server servers/${slot} is DOWN`, `Server servers/${slot} is going DOWN`, `servers/${slot} changed its IP from ${host} `];
    return () => slot !== undefined && this.lines.slice(from).some((line) => out.some((text) => line.includes(text)));
  }

  /** Polls `urlPath` until it answers `status`; the caller bounds it. */
  async waitFor(urlPath: string, status: number): Promise<void> {
    for (;;) {
      if (this.child.child.exitCode !== null) throw new Error(`haproxy exited with ${this.child.child.exitCode}`);
      if ((await httpStatus(this.input.health.host, this.input.health.port, urlPath)) === status) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Stops haproxy by PID (SIGKILL after 5 s) and removes its configuration directory. */
  async stop(): Promise<void> {
    if (this.child.child.exitCode === null && this.child.child.signalCode === null) {
      this.child.kill("SIGTERM");
      await within(this.child.exited, 5000, "haproxy stop").catch(() => {
        this.child.kill("SIGKILL");
        return this.child.exited;
      });
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
    liveDirs.delete(this.dir);
  }
}
