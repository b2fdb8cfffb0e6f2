// Where the e2e's Pulumi runs: a copy of the working tree and an offline environment
// (local state, a generated passphrase, no update check, no plugin downloads), both in the
// cluster's state dir so that stacks outlive one run of the checks.
import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { findProjectRoot } from "../../components/projectRoot";
import { clusterEnv } from "./clusterEnv";

const ROOT = findProjectRoot(__dirname);

let project: string | undefined;
/** The working tree (tracked and untracked, not ignored) copied into the state dir, once per run. */
export function projectCopy(): string {
  if (project) return project;
  const dir = path.join(clusterEnv().state, "project");
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" })
    .split("\0")
    .filter((f) => f && fs.existsSync(path.join(ROOT, f)));
  for (const file of files) {
    const to = path.join(dir, file);
    // A stack's file in the copy holds its encryption salt and its applied config: keep it.
    if (/^Pulumi\.[^/]+\.yaml$/.test(file) && fs.existsSync(to)) continue;
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(path.join(ROOT, file), to);
  }
  for (const modules of ["node_modules", "echo/node_modules"]) {
    const from = path.join(ROOT, modules);
    const to = path.join(dir, modules);
    if (fs.existsSync(from) && !fs.existsSync(to)) fs.symlinkSync(from, to);
  }
  project = dir;
  return dir;
}

export function workspaceEnv(): Record<string, string> {
  const env = clusterEnv();
  const passphraseFile = path.join(env.state, "pulumi-passphrase");
  if (!fs.existsSync(passphraseFile)) fs.writeFileSync(passphraseFile, crypto.randomBytes(18).toString("base64"), { mode: 0o600 });
  fs.mkdirSync(path.join(env.state, "pulumi-state"), { recursive: true });
  return {
    // Offline: local state, no update check, no plugin downloads; the provider comes from PATH.
    PULUMI_HOME: path.join(env.state, "pulumi-home"),
    PULUMI_BACKEND_URL: `file://${path.join(env.state, "pulumi-state")}`,
    PULUMI_CONFIG_PASSPHRASE: fs.readFileSync(passphraseFile, "utf8"),
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    // `npm run build` type-checked these sources before any check ran; checking them again
    // in every preview and up costs seconds each.
    PULUMI_NODEJS_TRANSPILE_ONLY: "true",
    PATH: `${env.providerDir}:${process.env.PATH ?? ""}`,
    KUBECONFIG: env.kubeconfig,
  };
}
