// Requests to the API server where the answer's status matters (an admission refusal, an
// eviction the disruption budget refuses, a pod's log): HTTPS with the admin's
// certificate from the cluster's kubeconfig, the JSON Status object as data.
import * as fs from "node:fs";
import * as https from "node:https";
import * as yaml from "js-yaml";
import { clusterEnv } from "./clusterEnv";

export interface ApiAnswer {
  status: number;
  body: string;
  /** The body as JSON, when it is (a Status object for every refusal). */
  json?: { kind?: string; reason?: string; message?: string; code?: number };
}

interface Kubeconfig {
  clusters: { cluster: { server: string; "certificate-authority": string } }[];
  users: { user: { "client-certificate": string; "client-key": string } }[];
}

const kubeconfig = () => yaml.load(fs.readFileSync(clusterEnv().kubeconfig, "utf8")) as Kubeconfig;

/** The API server's URL and the file of the CA that signed its certificate. */
export function apiServer(): { url: URL; caFile: string } {
  const { cluster } = kubeconfig().clusters[0];
  return { url: new URL(cluster.server), caFile: cluster["certificate-authority"] };
}

const agents = new Map<string, https.Agent>();
/** As the admin (client certificate), or with a bearer token (a ServiceAccount's). */
function agentFor(token?: string): https.Agent {
  const key = token ? "token" : "admin";
  let agent = agents.get(key);
  if (!agent) {
    const { user } = kubeconfig().users[0];
    const ca = fs.readFileSync(apiServer().caFile);
    agent = token
      ? new https.Agent({ ca, keepAlive: false })
      : new https.Agent({ ca, cert: fs.readFileSync(user["client-certificate"]), key: fs.readFileSync(user["client-key"]), keepAlive: false });
    agents.set(key, agent);
  }
  return agent;
}

export function api(method: string, path: string, body?: object, timeoutMs = 20_000, token?: string): Promise<ApiAnswer> {
  const server = apiServer().url;
  const httpsAgent = agentFor(token);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = https.request(
      new URL(path, server),
      {
        method,
        agent: httpsAgent,
        timeout: timeoutMs,
        headers: {
          ...(payload ? { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: ApiAnswer["json"];
          try {
            json = JSON.parse(text) as ApiAnswer["json"];
          } catch {
            json = undefined;
          }
          resolve({ status: response.statusCode ?? 0, body: text, json });
        });
      },
    );
    request.on("timeout", () => request.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
    request.on("error", reject);
    request.end(payload);
  });
}
