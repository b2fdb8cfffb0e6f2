// What the kubernetes resolver tests share: the stand-in API server on loopback with a
// CA file and a token file in a temporary directory, and bounded waiting.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ApiConnection, ApiConnectionSettings } from "../../../echo/kubernetes/apiConnection";
import { ServiceResolution, SliceWatchRegistry, SliceWatchTimings } from "../../../echo/kubernetes/sliceWatch";
import { KubeApiStandIn, StandInOptions, clientEnv, swapTokenFile, writeStandInCaFile } from "../../../lab/kubeApiStandIn";
import { Cleanup } from "../../support/cleanup";
import { poll } from "../../support/poll";

export const TOKEN = "stand-in-token";

/** Timings small enough for tests: quick reconnects, a watch that ends after 2 s. */
export const FAST: Partial<SliceWatchTimings> = { backoffBaseMs: 20, backoffMaxMs: 200, watchTimeoutSeconds: 2, watchdogGraceMs: 500 };

export interface ApiFixture {
  api: KubeApiStandIn;
  host: string;
  port: number;
  tokenFile: string;
  caFile: string;
  settings(extra?: Partial<ApiConnectionSettings>): ApiConnectionSettings;
  registry(timings?: Partial<SliceWatchTimings>, extra?: Partial<ApiConnectionSettings>): SliceWatchRegistry;
  /** KUBERNETES_SERVICE_HOST and friends, for process.env or a child process. */
  env(): Record<string, string>;
}

export async function startApiFixture(cleanup: Cleanup, options: StandInOptions = {}, host = "127.0.0.1"): Promise<ApiFixture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kube-api-"));
  cleanup.add(() => fs.rmSync(dir, { recursive: true, force: true }));
  const tokenFile = path.join(dir, "token");
  const caFile = path.join(dir, "ca.crt");
  swapTokenFile(tokenFile, options.tokens?.[0] ?? TOKEN);
  writeStandInCaFile(caFile);
  const api = new KubeApiStandIn({ tokens: [TOKEN], ...options });
  const port = await api.start(host);
  cleanup.add(() => api.stop());
  const settings = (extra: Partial<ApiConnectionSettings> = {}) => ({ host, port, tokenFile, caFile, ...extra });
  return {
    api,
    host,
    port,
    tokenFile,
    caFile,
    settings,
    registry: (timings = FAST, extra = {}) => new SliceWatchRegistry(() => new ApiConnection(settings(extra)), timings),
    env: () => clientEnv(host, port, tokenFile, caFile),
  };
}

/** Waits (bounded) until `condition` holds. */
export async function until(what: string, condition: () => boolean, ms = 5000): Promise<void> {
  await poll(what, Math.ceil(ms / 20), 20, async () => (condition() ? true : undefined));
}

/** A subscriber that records every result it is given. */
export class Recorder {
  readonly results: ServiceResolution[] = [];
  readonly listener = (result: ServiceResolution) => this.results.push(result);

  get last(): ServiceResolution | undefined {
    return this.results[this.results.length - 1];
  }

  /** The last result's endpoints as ip:port strings, or undefined if it is an error. */
  get endpoints(): string[] | undefined {
    const last = this.last;
    return last?.kind === "endpoints" ? last.endpoints.map((e) => `${e.host}:${e.port}`) : undefined;
  }

  async waitFor(what: string, condition: (last: ServiceResolution) => boolean, ms = 5000): Promise<ServiceResolution> {
    await until(what, () => this.last !== undefined && condition(this.last), ms).catch((error: Error) => {
      throw new Error(`${error.message}; results: ${JSON.stringify(this.results)}`);
    });
    return this.last!;
  }

  async waitForEndpoints(expected: string[], ms = 5000): Promise<void> {
    await this.waitFor(`endpoints ${expected.join(",")}`, () => JSON.stringify(this.endpoints) === JSON.stringify(expected), ms);
  }
}
