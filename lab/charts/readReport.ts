// Reads a scale report and checks the fields the charts draw from, so a wrong file
// fails with one line naming the first bad field instead of a blank or broken chart.
import { readFileSync } from "node:fs";
import type { ScaleReport } from "../scaleReport";

/** Bad input: the CLI prints the message and exits 2. */
export class ReportError extends Error {}

export const REPORT_KIND: ScaleReport["kind"] = "grpc-lb scale bench";

export function readReport(file: string): ScaleReport {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ReportError(`cannot read ${file}: ${code === "ENOENT" ? "no such file" : (code ?? String(err))}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ReportError(`${file} is not JSON: ${(err as Error).message}`);
  }
  try {
    return checkReport(value);
  } catch (err) {
    if (err instanceof ReportError) throw new ReportError(`${file} is not a scale report: ${err.message}`);
    throw err;
  }
}

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function obj(value: unknown, at: string): Obj {
  if (!isObj(value)) throw new ReportError(`${at} is not an object`);
  return value;
}

function num(o: Obj, key: string, at: string): void {
  if (typeof o[key] !== "number" || !Number.isFinite(o[key])) throw new ReportError(`${at}.${key} is not a number`);
}

function str(o: Obj, key: string, at: string): void {
  if (typeof o[key] !== "string") throw new ReportError(`${at}.${key} is not a string`);
}

/** A non-empty array (a chart with nothing to draw is a wrong report, not a chart). */
function list(value: unknown, at: string): unknown[] {
  if (!Array.isArray(value) || value.length === 0) throw new ReportError(`${at} is not a non-empty array`);
  return value;
}

function numbers(value: unknown, at: string): void {
  for (const [i, n] of list(value, at).entries()) {
    if (typeof n !== "number" || !Number.isFinite(n)) throw new ReportError(`${at}[${i}] is not a number`);
  }
}

/** Throws ReportError naming the first missing or mistyped field. */
export function checkReport(value: unknown): ScaleReport {
  const r = obj(value, "the report");
  if (r.kind !== REPORT_KIND) throw new ReportError(`kind is ${JSON.stringify(r.kind)}, not "${REPORT_KIND}"`);
  str(r, "startedAt", "report");
  if (Number.isNaN(Date.parse(r.startedAt as string))) throw new ReportError(`report.startedAt is not a date`);
  const m = obj(r.machine, "report.machine");
  num(m, "nproc", "machine");
  str(m, "cpu", "machine");
  str(m, "node", "machine");
  for (const [i, p] of list(r.scale, "report.scale").entries()) {
    const at = `scale[${i}]`;
    const o = obj(p, at);
    str(o, "mode", at);
    num(o, "servers", at);
    numbers(o.callsPerServer, `${at}.callsPerServer`);
  }
  checkCapacity(obj(r.capacity, "report.capacity"));
  for (const [i, t] of list(r.discovery, "report.discovery").entries()) {
    const at = `discovery[${i}]`;
    const o = obj(t, at);
    str(o, "mode", at);
    for (const key of ["servers", "maxConnectionAgeMs", "binMs"]) num(o, key, at);
    if ((o.binMs as number) <= 0) throw new ReportError(`${at}.binMs is not positive`);
    numbers(o.newServerShare, `${at}.newServerShare`);
    if (o.firstCallMs !== null) num(o, "firstCallMs", at);
  }
  return value as ScaleReport;
}

function checkCapacity(c: Obj): void {
  for (const key of ["servers", "clients", "serviceTimeMs", "maxConcurrentCalls", "fleetCapacityPerS"]) num(c, key, "capacity");
  const points = obj(c.points, "capacity.points");
  if (Object.keys(points).length === 0) throw new ReportError("capacity.points has no mode");
  for (const [mode, sweep] of Object.entries(points)) {
    for (const [i, p] of list(sweep, `capacity.points.${mode}`).entries()) {
      const at = `capacity.points.${mode}[${i}]`;
      const o = obj(p, at);
      for (const key of ["offeredPerS", "achievedPerS", "p50Ms", "p99Ms"]) num(o, key, at);
    }
  }
  const used = obj(c.serversUsed, "capacity.serversUsed");
  for (const mode of Object.keys(used)) num(used, mode, "capacity.serversUsed");
}
