// What every chart says about the run in the same way: the modes and how they look
// (one mode, one colour and marker across all charts), and where and when the figures come from.
import { MODES } from "../../components/mode";
import type { CapacityPoint, ScaleReport } from "../scaleReport";
import { colorAt, symbolAt } from "./render";

export interface ModeStyles {
  modes: string[];
  color: (mode: string) => string;
  /** Markers differ too: modes with the same figures draw on top of each other. */
  symbol: (mode: string) => string;
}

/**
 * Every mode the report has figures for: the stack's modes in their usual order, then
 * any others in order of appearance (a report from a later bench may have more).
 */
export function modeStyles(report: ScaleReport): ModeStyles {
  const seen = new Set<string>([
    ...Object.keys(report.capacity.points),
    ...report.scale.map((p) => p.mode),
    ...report.discovery.map((t) => t.mode),
  ]);
  const known: readonly string[] = MODES;
  const modes = [...known.filter((m) => seen.has(m)), ...[...seen].filter((m) => !known.includes(m))];
  const at = (mode: string): number => Math.max(0, modes.indexOf(mode));
  return { modes, color: (mode) => colorAt(at(mode)), symbol: (mode) => symbolAt(at(mode)) };
}

/** "run 2026-12-10 09:00 UTC, 2 CPUs (AMD EPYC 7B13), Node v26.12.1" */
export function runLine(report: ScaleReport): string {
  const when = new Date(report.startedAt).toISOString().slice(0, 16).replace("T", " ");
  const { nproc, cpu, node } = report.machine;
  return `run ${when} UTC, ${nproc} CPU${nproc === 1 ? "" : "s"} (${cpu}), Node ${node}`;
}

/** 1234.5 -> "1,235"; the same on every machine (no locale). */
export function count(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** Seconds with at most one decimal: 26877 -> "26.9 s", 30000 -> "30 s". */
export function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** The capacity sweep of `mode`, lowest offered load first; [] when the mode has none. */
export function capacityPoints(report: ScaleReport, mode: string): CapacityPoint[] {
  const points = Object.entries(report.capacity.points).find(([m]) => m === mode)?.[1] ?? [];
  return [...points].sort((a, b) => a.offeredPerS - b.offeredPerS);
}
