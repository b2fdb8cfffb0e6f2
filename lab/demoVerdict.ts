// The demo's verdicts, from each client's own final summary: clients that stick
// to a server (l4) must each be pinned to one (so the scale-up passes them by);
// clients whose calls spread (clientside, api: round_robin; l7: the proxy picks a
// server per call) must each have used every server, the one added halfway included.
import type { Summary } from "../echo/callStats";

export interface ClientResult {
  name: string;
  /** Undefined when the client ended without its summary line. */
  summary?: Summary;
}

export interface ModeVerdict {
  holds: boolean;
  text: string;
}

function backendsOf(result: ClientResult): string[] {
  return Object.keys(result.summary?.byBackend ?? {});
}

function missing(results: ClientResult[]): string | undefined {
  const names = results.filter((r) => !r.summary).map((r) => r.name);
  return names.length > 0 ? `no summary from ${names.join(", ")}` : undefined;
}

export function pinnedVerdict(results: ClientResult[], newServer: string): ModeVerdict {
  const lost = missing(results);
  const pins = results.map((r) => `${r.name} -> ${backendsOf(r).join(" + ") || "nothing"}`).join(", ");
  const holds = !lost && results.every((r) => backendsOf(r).length === 1);
  const newCalls = results.reduce((sum, r) => sum + (r.summary?.byBackend[newServer] ?? 0), 0);
  return {
    holds,
    text: holds
      ? `each client pinned to 1 server (${pins}); ${newServer} got ${newCalls} of their calls`
      : `expected each client on exactly 1 server, got ${lost ?? pins}`,
  };
}

export function spreadVerdict(results: ClientResult[], servers: string[], newServer: string): ModeVerdict {
  const lost = missing(results);
  const unused = results.flatMap((r) => servers.filter((s) => !(r.summary?.byBackend[s] ?? 0)).map((s) => `${r.name} never called ${s}`));
  const holds = !lost && unused.length === 0;
  const newCalls = results.map((r) => `${r.name} ${r.summary?.byBackend[newServer] ?? 0}`).join(", ");
  return {
    holds,
    text: holds
      ? `each client spread over all ${servers.length} servers; the new ${newServer} got calls from every client (${newCalls})`
      : `expected each client on all ${servers.length} servers: ${lost ?? unused.join("; ")}`,
  };
}
