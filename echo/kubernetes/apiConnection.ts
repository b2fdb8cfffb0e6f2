// Where the Kubernetes API server is and how to authenticate to it: in a pod, from the
// variables and files every pod gets; elsewhere (the lab, the e2e, a laptop) with the
// token and CA files named by ECHO_K8S_TOKEN_FILE and ECHO_K8S_CA_FILE.
import * as fs from "node:fs";
import type { IncomingMessage } from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import { Env, EnvError } from "../env";

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
/** The projected token is swapped by the kubelet long before it expires: reading it once a minute is plenty. */
export const TOKEN_MAX_AGE_MS = 60_000;

export interface ApiConnectionSettings {
  /** Host name or IP; IPv6 without brackets. */
  host: string;
  port: number;
  tokenFile: string;
  caFile: string;
  /** Re-read the token file when the copy in memory is older than this. */
  tokenMaxAgeMs?: number;
}

function required(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) {
    throw new EnvError(
      name,
      "not set: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT locate the Kubernetes API (set in every pod; " +
        "outside a cluster set both, with ECHO_K8S_TOKEN_FILE and ECHO_K8S_CA_FILE)",
    );
  }
  return value;
}

/** The in-cluster settings, with the token and CA paths replaceable for use outside a cluster. */
export function apiSettingsFromEnv(env: Env): ApiConnectionSettings {
  const host = required(env, "KUBERNETES_SERVICE_HOST").replace(/^\[(.*)\]$/, "$1");
  const portText = required(env, "KUBERNETES_SERVICE_PORT");
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
    throw new EnvError("KUBERNETES_SERVICE_PORT", `must be a port number (1-65535), got ${JSON.stringify(portText)}`);
  }
  return {
    host,
    port,
    tokenFile: env.ECHO_K8S_TOKEN_FILE?.trim() || `${SERVICE_ACCOUNT_DIR}/token`,
    caFile: env.ECHO_K8S_CA_FILE?.trim() || `${SERVICE_ACCOUNT_DIR}/ca.crt`,
  };
}

/** The environment apiSettingsFromEnv reads: how a process out of a cluster is pointed at an API server. */
export function apiSettingsEnv({ host, port, tokenFile, caFile }: ApiConnectionSettings): Record<string, string> {
  return {
    KUBERNETES_SERVICE_HOST: host,
    KUBERNETES_SERVICE_PORT: String(port),
    ECHO_K8S_TOKEN_FILE: tokenFile,
    ECHO_K8S_CA_FILE: caFile,
  };
}

/** `https://host:port`, an IPv6 host in brackets. */
export function apiServerUrl({ host, port }: Pick<ApiConnectionSettings, "host" | "port">): string {
  return `https://${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
}

export class ApiConnection {
  readonly url: string;
  private readonly agent: https.Agent;
  private readonly tokenMaxAgeMs: number;
  private token?: { value: string; readAt: number };

  /** Throws if the CA file cannot be read: nothing can be verified without it. */
  constructor(readonly settings: ApiConnectionSettings) {
    this.url = apiServerUrl(settings);
    this.tokenMaxAgeMs = settings.tokenMaxAgeMs ?? TOKEN_MAX_AGE_MS;
    let ca: Buffer;
    try {
      ca = fs.readFileSync(settings.caFile);
    } catch (error) {
      throw new Error(`cannot read the Kubernetes API's CA certificate ${settings.caFile}: ${(error as Error).message}`);
    }
    // No keep-alive: a watch holds its own socket for minutes, a list is rare, and an
    // idle pooled socket would be one more thing that could keep the process alive.
    this.agent = new https.Agent({ ca, keepAlive: false });
  }

  /** The bearer token, from the file when the copy in memory is older than the max age. */
  async bearerToken(): Promise<string> {
    if (this.token && Date.now() - this.token.readAt < this.tokenMaxAgeMs) return this.token.value;
    let text: string;
    try {
      text = await fs.promises.readFile(this.settings.tokenFile, "utf8");
    } catch (error) {
      throw new Error(`cannot read the service account token ${this.settings.tokenFile}: ${(error as Error).message}`);
    }
    const value = text.trim();
    if (!value) throw new Error(`the service account token ${this.settings.tokenFile} is empty`);
    this.token = { value, readAt: Date.now() };
    return value;
  }

  /** Makes the next request read the token file again (after a 401: the kubelet may have swapped it). */
  forgetToken(): void {
    this.token = undefined;
  }

  /**
   * GET `path` with the bearer token; resolves with the response as soon as its headers
   * are in (a watch's body streams on). A 401 re-reads the token and tries once more at
   * once; a second 401 is returned to the caller. The socket is unref'd: an open watch
   * must not keep the process alive, and `signal` ends it.
   */
  async get(path: string, signal: AbortSignal): Promise<IncomingMessage> {
    const first = await this.send(path, signal);
    if (first.statusCode !== 401) return first;
    first.resume();
    this.forgetToken();
    return this.send(path, signal);
  }

  private async send(path: string, signal: AbortSignal): Promise<IncomingMessage> {
    const token = await this.bearerToken();
    signal.throwIfAborted();
    return new Promise((resolve, reject) => {
      const request = https.request(
        {
          host: this.settings.host,
          port: this.settings.port,
          path,
          method: "GET",
          agent: this.agent,
          signal,
          headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
        },
        resolve,
      );
      request.on("socket", (socket) => socket.unref());
      request.on("error", (error) => reject(new Error(`cannot reach the Kubernetes API at ${this.url}: ${error.message}`)));
      request.end();
    });
  }

  /** Closes any socket still open. */
  close(): void {
    this.agent.destroy();
  }
}
