// What a client of mode api sees from outside the cluster, as a person on a laptop would:
// a ServiceAccount's token (kubectl create token), the cluster's CA, and the standard
// KUBERNETES_SERVICE_HOST/PORT pointing at the API server; then the resolver's own
// command (dist/echo/resolve.js) or the real echo client.
import * as fs from "node:fs";
import * as path from "node:path";
import type { ModeSettings } from "../../components/mode";
import { apiSettingsEnv } from "../../echo/kubernetes/apiConnection";
import { ClientEvent, startClient } from "../../lab/processes";
import { clusterEnv } from "./clusterEnv";
import { apiServer } from "./kubeApi";
import { kubectlOk } from "./kubectl";

export { resolveOnce, type Resolution } from "../../lab/resolveOnce";

/** A short-lived token of `serviceAccount` in `namespace`. */
export const tokenOf = async (namespace: string, serviceAccount: string) =>
  (await kubectlOk(["create", "token", serviceAccount, "-n", namespace, "--duration", "10m"])).trim();

/** The environment that points the resolver at this cluster's API server with `token`. */
export function apiEnv(token: string): Record<string, string> {
  const { url, caFile } = apiServer();
  const tokenFile = path.join(clusterEnv().state, `token-${process.pid}-${Date.now()}`);
  fs.writeFileSync(tokenFile, token, { mode: 0o600 });
  return apiSettingsEnv({ host: url.hostname, port: Number(url.port || 443), tokenFile, caFile });
}

/** The real echo client with the mode's target and policy, `requests` calls with `deadlineMs` each, on this host: its events. */
export async function runClient(settings: ModeSettings, env: Record<string, string>, requests: number, deadlineMs: number): Promise<ClientEvent[]> {
  const events: ClientEvent[] = [];
  const client = startClient(
    { ...env, ECHO_SERVICE_TARGET: settings.target, ECHO_LB_POLICY: settings.lbPolicy, ECHO_REQUESTS: String(requests), ECHO_CONCURRENCY: "1", ECHO_RETRIES: "0", ECHO_DEADLINE_MS: String(deadlineMs) },
    (event) => events.push(event),
  );
  await client.summary;
  return events;
}
