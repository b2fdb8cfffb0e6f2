// A content hash of everything that goes into the echo image, used as its tag:
// a change to the service rolls the pods, an unrelated change (README, Pulumi
// program, tests) does not, and no `latest` tag is ever needed.
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/** Directories copied into the image, walked recursively. */
const INPUT_DIRS = ["echo", "proto"];
/** Root files that shape the build: dependency manifests, compiler settings, context filter. */
const INPUT_FILES = /^(package\.json|package-lock\.json|tsconfig(\..+)?\.json|\.dockerignore)$/;
/** Never inputs: installed or generated. */
const SKIPPED_DIRS = new Set(["node_modules", "dist", ".git"]);

function walk(root: string, relDir: string, into: string[]): void {
  const entries = fs.readdirSync(path.join(root, relDir), { withFileTypes: true });
  for (const entry of entries) {
    const rel = path.posix.join(relDir, entry.name);
    if (entry.isDirectory() && !SKIPPED_DIRS.has(entry.name)) walk(root, rel, into);
    else if (entry.isFile()) into.push(rel);
  }
}

/** The image's input files, relative to root with '/' separators, sorted. */
export function imageInputFiles(root: string): string[] {
  const files: string[] = [];
  for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
    if (entry.isFile() && INPUT_FILES.test(entry.name)) files.push(entry.name);
  }
  for (const dir of INPUT_DIRS) {
    if (fs.existsSync(path.join(root, dir))) walk(root, dir, files);
  }
  // Plain code-unit order, the same on every machine and locale.
  return files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * sha256 over each input's path and content, plus the build settings (build args,
 * platform) that change the image without changing a file.
 */
export function imageContentHash(root: string, settings: Record<string, string | undefined> = {}): string {
  const hash = crypto.createHash("sha256");
  for (const file of imageInputFiles(root)) {
    const content = fs.readFileSync(path.join(root, file));
    hash.update(`file ${file} ${content.length}\0`).update(content).update("\0");
  }
  for (const key of Object.keys(settings).sort()) {
    const value = settings[key];
    if (value !== undefined) hash.update(`setting ${key}=${value}\0`);
  }
  return hash.digest("hex");
}
