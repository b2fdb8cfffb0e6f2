// The demo's picture: per mode, a table of clients by servers. Each cell shows
// the share of the client's calls in the recent window as a bar (so a pinned
// client is one full bar, a spread one several short ones) and the calls since
// start. It fits an 80-column terminal with 4 servers. On a TTY it is redrawn in
// place; elsewhere plain lines are printed.
import { PROXY_TIMING } from "../components/haproxyConfig";
import { shareBar } from "../echo/shareBar";
import { CallTally } from "./callTally";
import { discoveryOf, LabMode, maxConnectionAgeMs, STACK_MAX_CONNECTION_AGE_MS } from "./modes";

export interface ClientRow {
  name: string;
  tally: CallTally;
}

export interface ModePanel {
  mode: string;
  /** How clients reach the servers (target, policy). */
  how: string;
  /** The servers' connection ageing, and why. */
  ageNote: string;
  /** Column order: the servers published so far. */
  servers: string[];
  newServer?: string;
  clients: ClientRow[];
}

const LABEL = 9;
const CELL = 12;
const BAR = 5;
/** Column headers drop the common "echo-" prefix: "server-4 new" fits a cell. */
const header = (server: string) => server.replace(/^echo-/, "");

/** The servers' connection ageing in the demo, and why. */
export function ageNote(mode: LabMode, ageMs: number): string {
  if (maxConnectionAgeMs(mode, ageMs) > 0) {
    return `servers close connections after ${ageMs} ms (stack: ${STACK_MAX_CONNECTION_AGE_MS}) so clients re-resolve`;
  }
  switch (discoveryOf(mode)) {
    case "kubernetes-api":
      return "no connection ageing: clients watch the EndpointSlices, see changes at once";
    case "proxy":
      return `no connection ageing: HAProxy resolves the servers every ${PROXY_TIMING.resolveMs} ms`;
    default:
      return `no connection ageing (as in the ${mode} stack): each client keeps its server`;
  }
}

/** The view's first line. */
export function viewTitle(elapsedS: number, durationS: number, windowS: number): string {
  return `t = ${elapsedS.toFixed(1)} s of ${durationS} s   bars: share of the last ${windowS} s   numbers: calls`;
}

/** Short per-row verdict from the backends a client has used since start. */
export function rowVerdict(backends: number): string {
  if (backends === 0) return "no calls yet";
  return backends === 1 ? "pinned" : `spread over ${backends}`;
}

function cell(share: number, calls: number): string {
  return `${shareBar(share, BAR).padEnd(BAR)} ${String(calls).padStart(6)}`.padEnd(CELL);
}

export function panelLines(panel: ModePanel, now = Date.now()): string[] {
  const columns = panel.servers.map((s) => header(s === panel.newServer ? `${s} new` : s).padEnd(CELL)).join(" ");
  const lines = [`${panel.mode}: ${panel.how}`, `  ${panel.ageNote}`, `  ${"".padEnd(LABEL)}${columns}`];
  for (const client of panel.clients) {
    const shares = client.tally.recentShares(now);
    const cells = panel.servers.map((s) => cell(shares.get(s) ?? 0, client.tally.byBackend.get(s) ?? 0)).join(" ");
    lines.push(`  ${client.name.padEnd(LABEL)}${cells}  ${rowVerdict(client.tally.byBackend.size)}`);
  }
  return lines;
}

/** Plain lines for a log (no TTY): one per client, calls since start per server. */
export function panelStatusLines(panel: ModePanel, elapsedS: number): string[] {
  return panel.clients.map((client) => {
    const counts = panel.servers.map((s) => `${s} ${String(client.tally.byBackend.get(s) ?? 0).padStart(5)}`).join("  ");
    const failed = client.tally.failed > 0 ? `  (${client.tally.failed} failed)` : "";
    return `[${elapsedS.toFixed(1).padStart(5)} s] ${panel.mode.padEnd(LABEL)} ${client.name.padEnd(LABEL)} ${counts}  ${rowVerdict(client.tally.byBackend.size)}${failed}`;
  });
}

/** Redraws a block of lines in place on a terminal (ANSI: cursor up, clear line). */
export class Screen {
  private drawn = 0;

  constructor(private readonly out: NodeJS.WriteStream) {
    out.write("\x1b[?25l"); // hide the cursor while redrawing
  }

  draw(lines: string[]): void {
    const width = Math.max(20, (this.out.columns || 120) - 1);
    // Lines longer than the terminal would wrap and break the cursor arithmetic.
    const body = lines.map((line) => `${line.slice(0, width)}\x1b[K\n`).join("");
    this.out.write(`${this.drawn > 0 ? `\x1b[${this.drawn}A\r` : ""}${body}\x1b[J`);
    this.drawn = lines.length;
  }

  close(): void {
    this.out.write("\x1b[?25h");
  }
}
