// A thin, bounded wrapper around the docker CLI for the container checks. Every
// container and network it creates carries the run's label (so run.sh can
// remove them, even after a crash) and a name with the run's prefix.
import { execFile } from "node:child_process";

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** The hardening a restricted Pod gets: non-root (from the image), read-only root, no capabilities. */
export const HARDENED = ["--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges"];

export class Docker {
  private readonly created: string[] = [];

  constructor(
    private readonly cli: string,
    readonly label: string,
    readonly prefix: string,
  ) {}

  /** Runs `docker <args>`; resolves with its output whatever the exit code, rejects only on timeout. */
  exec(args: string[], timeoutMs = 60_000): Promise<Result> {
    return new Promise((resolve, reject) => {
      execFile(this.cli, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        if (error && error.killed) {
          reject(new Error(`docker ${args.slice(0, 2).join(" ")} took longer than ${timeoutMs} ms`));
          return;
        }
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** Like exec, but a non-zero exit is an error carrying docker's message. */
  async ok(args: string[], timeoutMs = 60_000): Promise<string> {
    const result = await this.exec(args, timeoutMs);
    if (result.code !== 0) {
      throw new Error(`docker ${args.slice(0, 2).join(" ")} failed (${result.code}): ${result.stderr.trim() || result.stdout.trim()}`);
    }
    return result.stdout;
  }

  name(role: string): string {
    return `${this.prefix}-${role}`;
  }

  async createNetwork(role: string): Promise<string> {
    const name = this.name(role);
    await this.ok(["network", "create", "--driver", "bridge", "--label", this.label, name]);
    this.created.push(`network:${name}`);
    return name;
  }

  /** `docker run -d` with the label; returns the container name. */
  async start(role: string, options: string[], command: string[] = []): Promise<string> {
    const name = this.name(role);
    this.created.push(`container:${name}`);
    await this.ok(["run", "-d", "--name", name, "--label", this.label, ...options, ...command]);
    return name;
  }

  /** `docker run` attached, until it exits (bounded); the container is removed afterwards. */
  async runToEnd(role: string, options: string[], command: string[] = [], timeoutMs = 90_000): Promise<Result> {
    const name = this.name(role);
    this.created.push(`container:${name}`);
    try {
      return await this.exec(["run", "--name", name, "--label", this.label, ...options, ...command], timeoutMs);
    } finally {
      await this.exec(["rm", "-f", name]).catch(() => undefined);
    }
  }

  async inspect(target: string, format: string): Promise<string> {
    return (await this.ok(["inspect", "--format", format, target])).trim();
  }

  async inspectJson<T>(target: string, path: string): Promise<T> {
    return JSON.parse(await this.inspect(target, `{{json ${path}}}`)) as T;
  }

  async ipOn(container: string, network: string): Promise<string> {
    const ip = await this.inspect(container, `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`);
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip)) throw new Error(`${container} has no IPv4 address on ${network}`);
    return ip;
  }

  /** Removes what this run created, newest first; best effort (run.sh sweeps by label anyway). */
  async cleanUp(): Promise<void> {
    for (const item of this.created.splice(0).reverse()) {
      const [kind, name] = item.split(":");
      const args = kind === "network" ? ["network", "rm", name] : ["rm", "-f", name];
      await this.exec(args, 30_000).catch(() => undefined);
    }
  }
}
