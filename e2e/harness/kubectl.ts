// The cluster as data: kubectl (the one built with the cluster) with -o json, typed with
// @pulumi/kubernetes's output types. Every call is bounded by --request-timeout.
import { execFile } from "node:child_process";
import type * as k8s from "@pulumi/kubernetes";
import { clusterEnv } from "./clusterEnv";

export type Service = k8s.types.output.core.v1.Service;
export type Pod = k8s.types.output.core.v1.Pod;
export type Namespace = k8s.types.output.core.v1.Namespace;
export type Deployment = k8s.types.output.apps.v1.Deployment;
export type StatefulSet = k8s.types.output.apps.v1.StatefulSet;
export type EndpointSlice = k8s.types.output.discovery.v1.EndpointSlice;
export type PodDisruptionBudget = k8s.types.output.policy.v1.PodDisruptionBudget;
export type NetworkPolicy = k8s.types.output.networking.v1.NetworkPolicy;
export type ConfigMap = k8s.types.output.core.v1.ConfigMap;
export interface List<T> {
  items: T[];
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl; never throws for a non-zero exit (the result says). */
export function kubectl(args: string[], input?: string): Promise<KubectlResult> {
  const env = clusterEnv();
  return new Promise((resolve) => {
    const child = execFile(
      env.kubectl,
      ["--kubeconfig", env.kubeconfig, "--request-timeout=20s", ...args],
      { maxBuffer: 64 * 1024 * 1024, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr: stderr || (error && !stderr ? error.message : "") });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** kubectl that must succeed: its stdout, or an error with its stderr. */
export async function kubectlOk(args: string[], input?: string): Promise<string> {
  const result = await kubectl(args, input);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${result.stderr.trim() || `exit ${result.code}`}`);
  return result.stdout;
}

/** `kubectl get <args> -o json`, parsed. */
export async function get<T>(...args: string[]): Promise<T> {
  return JSON.parse(await kubectlOk(["get", ...args, "-o", "json"])) as T;
}

/** Like get, but undefined when the object does not exist (kubectl then prints nothing). */
export async function find<T>(...args: string[]): Promise<T | undefined> {
  const out = await kubectlOk(["get", ...args, "--ignore-not-found", "-o", "json"]);
  return out.trim() ? (JSON.parse(out) as T) : undefined;
}

export const names = (list: List<{ metadata: { name: string } }>) => list.items.map((item) => item.metadata.name).sort();

/** A container's env as a plain map. */
export function envOf(container: { env?: { name: string; value?: string }[] }): Record<string, string> {
  return Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? ""]));
}
