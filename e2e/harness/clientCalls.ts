// Each client pod's calls, read from its log as data: the client logs JSON lines in the
// e2e (grpc-lb:clientLogFormat json), and the API server's timestamps=true prefixes each
// line with the time the container wrote it. So a traffic check knows every call, its
// time and the pod that answered, independent of the text table's layout and period.
import type { ChannelRecord, ErrorRecord, ResponseRecord } from "../../echo/clientLog";
import { api } from "./kubeApi";

export interface Call {
  /** Epoch ms, from the container runtime's timestamp of the line. */
  at: number;
  /** The server pod that answered; undefined for a failed call. */
  server?: string;
  /** The gRPC status code name of a failed call. */
  failed?: string;
}

/** A change of the client channel's connectivity state (READY -> IDLE: a lost connection). */
export interface ChannelChange {
  at: number;
  from: string;
  to: string;
}

export interface ClientLogEvents {
  calls: Call[];
  channel: ChannelChange[];
}

/** Parses `<RFC 3339 time> <JSON line>` lines; other lines (none are expected) are skipped. */
export function parseClientLog(log: string): ClientLogEvents {
  const events: ClientLogEvents = { calls: [], channel: [] };
  for (const line of log.split("\n")) {
    const space = line.indexOf(" ");
    if (space < 0 || line[space + 1] !== "{") continue;
    const at = Date.parse(line.slice(0, space));
    let record: ResponseRecord | ErrorRecord | ChannelRecord | { event?: undefined };
    try {
      record = JSON.parse(line.slice(space + 1)) as typeof record;
    } catch {
      continue;
    }
    if (record.event === "response") events.calls.push({ at, server: record.pod });
    else if (record.event === "error") events.calls.push({ at, failed: record.code });
    else if (record.event === "channel") events.channel.push({ at, from: record.from, to: record.to });
  }
  return events;
}

export const parseCalls = (log: string) => parseClientLog(log).calls;

/** The pod's log events, those since `sinceMs` if given. */
export async function clientLog(namespace: string, pod: string, sinceMs?: number): Promise<ClientLogEvents> {
  const since = sinceMs === undefined ? "" : `&sinceTime=${encodeURIComponent(new Date(sinceMs).toISOString())}`;
  const answer = await api("GET", `/api/v1/namespaces/${namespace}/pods/${pod}/log?timestamps=true${since}`);
  if (answer.status !== 200) throw new Error(`log of ${namespace}/${pod}: HTTP ${answer.status} ${answer.json?.message ?? answer.body.slice(0, 200)}`);
  const events = parseClientLog(answer.body);
  const recent = <T extends { at: number }>(list: T[]) => list.filter((e) => sinceMs === undefined || e.at >= sinceMs);
  return { calls: recent(events.calls), channel: recent(events.channel) };
}

/** The pod's calls, those since `sinceMs` if given. */
export const clientCalls = async (namespace: string, pod: string, sinceMs?: number) => (await clientLog(namespace, pod, sinceMs)).calls;

/** Answered calls per server pod. */
export function callsByServer(calls: Call[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const call of calls) if (call.server) counts.set(call.server, (counts.get(call.server) ?? 0) + 1);
  return counts;
}

/** "echo-server-a 52%, echo-server-b 48%" */
export function shares(calls: Call[]): string {
  const counts = callsByServer(calls);
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  return [...counts].sort().map(([server, n]) => `${server} ${Math.round((100 * n) / total)}%`).join(", ");
}
