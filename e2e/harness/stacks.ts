// The project's stacks, driven through the Pulumi Automation API on a copy of the working
// tree (e2e/harness/workspace.ts), against the cluster e2e/cluster.sh keeps up. Stacks
// outlive one run of the checks (a single check can run alone against stacks an earlier
// run left up). Every operation streams the CLI's output to
// <state>/logs/pulumi-<stack>-<operation>.log and is bounded by a timeout.
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { EngineEvent, LocalWorkspace, OpMap, OpType, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { CONFIG_NAMESPACE, ConfigKey } from "../../components/config";
import { findProjectRoot } from "../../components/projectRoot";
import { clusterEnv, logsDir } from "./clusterEnv";
import { projectCopy, workspaceEnv } from "./workspace";

const ROOT = findProjectRoot(__dirname);
const OPERATION_TIMEOUT_MS = 10 * 60_000;

export type StackConfigValues = Partial<Record<ConfigKey, string>>;

/** One resource step the engine planned or took, from its structured events. */
export interface Step {
  op: OpType;
  type: string;
  urn: string;
  /** The properties that differ, as the engine's detailed diff names them (spec.replicas). */
  diffs: string[];
}

export interface OperationResult {
  summary: OpMap;
  steps: Step[];
  log: string;
}

/** What the e2e sets on every stack besides the committed Pulumi.<stack>.yaml. */
function e2eConfig(): StackConfigValues {
  // JSON lines: the checks read each call from the clients' logs as data. The proxy image
  // is the cluster's local one (no registry here); only a mode with a proxy runs it.
  return { image: clusterEnv().image, proxyImage: clusterEnv().proxyImage, clientLogFormat: "json" };
}

/** The committed Pulumi.<stack>.yaml's grpc-lb: keys (none for a stack without a file). */
export function committedConfig(stack: string): StackConfigValues {
  const file = path.join(ROOT, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) return {};
  const doc = yaml.load(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
  const values: StackConfigValues = {};
  for (const [key, value] of Object.entries(doc.config ?? {})) {
    const [namespace, name] = key.split(":");
    if (namespace === CONFIG_NAMESPACE) values[name as ConfigKey] = String(value);
  }
  return values;
}

/** The config each stack was last brought to by this process (undefined: not yet). */
const applied = new Map<string, StackConfigValues>();
const opened = new Map<string, Promise<E2eStack>>();
const sameConfig = (a: StackConfigValues, b: StackConfigValues) =>
  JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

export class E2eStack {
  private constructor(
    readonly name: string,
    readonly stack: Stack,
  ) {}

  /**
   * The stack, created if missing; opened once per process and environment. `env` adds to
   * or overrides the CLI's environment (a check's own KUBECONFIG).
   */
  static open(name: string, env: Record<string, string> = {}): Promise<E2eStack> {
    const key = JSON.stringify([name, env]);
    let stack = opened.get(key);
    if (!stack) {
      stack = (async () => {
        const pulumiCommand = await PulumiCommand.get({ root: clusterEnv().pulumiRoot, skipVersionCheck: true });
        const workspaceStack = await LocalWorkspace.createOrSelectStack(
          { stackName: name, workDir: projectCopy() },
          { pulumiCommand, envVars: { ...workspaceEnv(), ...env } },
        );
        return new E2eStack(name, workspaceStack);
      })();
      opened.set(key, stack);
      stack.catch(() => opened.delete(key));
    }
    return stack;
  }

  /** The names of the stacks the e2e's backend holds. */
  static async names(): Promise<string[]> {
    const pulumiCommand = await PulumiCommand.get({ root: clusterEnv().pulumiRoot, skipVersionCheck: true });
    const workspace = await LocalWorkspace.create({ workDir: projectCopy(), pulumiCommand, envVars: workspaceEnv() });
    return (await workspace.listStacks()).map((stack) => stack.name);
  }

  /** The committed file's keys plus the e2e's own: what the stack runs with unless a check changes it. */
  baseline(): StackConfigValues {
    return { ...committedConfig(this.name), ...e2eConfig() };
  }

  /** What the stack runs with now, as far as this process knows. */
  current(): StackConfigValues {
    return { ...(applied.get(this.name) ?? this.baseline()) };
  }

  /** Writes exactly these grpc-lb: keys into the stack's config, removing the others. */
  async writeConfig(values: StackConfigValues): Promise<void> {
    const all = await this.stack.getAllConfig();
    const stale = Object.keys(all).filter((key) => key.startsWith(`${CONFIG_NAMESPACE}:`) && !(key.split(":")[1] in values));
    if (stale.length > 0) await this.stack.removeAllConfig(stale);
    await this.stack.setAllConfig(
      Object.fromEntries(Object.entries(values).map(([key, value]) => [`${CONFIG_NAMESPACE}:${key}`, { value: value! }])),
    );
  }

  /**
   * Brings the stack up with its current config changed by `changes`; does nothing when this
   * process already brought it to exactly that. The first call in a process always runs
   * `up` (a no-op when the stack already matches), so a check run alone finds it as a full
   * run would.
   */
  async ensure(changes: StackConfigValues = {}): Promise<void> {
    const desired = { ...this.current(), ...changes };
    const known = applied.get(this.name);
    if (known && sameConfig(known, desired)) return;
    // Unknown until `up` succeeds: a failed one must not look applied to the next check.
    applied.delete(this.name);
    await this.writeConfig(desired);
    await this.up("ensure");
    applied.set(this.name, desired);
  }

  /** Config written and `up` run: the stack now runs with `changes` applied. */
  async apply(changes: StackConfigValues, label: string): Promise<OperationResult> {
    const desired = { ...this.current(), ...changes };
    applied.delete(this.name);
    await this.writeConfig(desired);
    const result = await this.up(label);
    applied.set(this.name, desired);
    return result;
  }

  async preview(label: string, options: { expectNoChanges?: boolean } = {}): Promise<OperationResult> {
    const { onOutput, onEvent, steps, log } = this.recorder(`preview-${label}`);
    const result = await this.stack.preview({ diff: true, color: "never", onOutput, onEvent, signal: timeout(), ...options });
    return { summary: result.changeSummary, steps, log };
  }

  /** A preview that must fail: the errors the engine reported (its diagnostics). */
  async previewErrors(label: string): Promise<string[]> {
    const { onOutput, onEvent, errors } = this.recorder(`preview-${label}`);
    try {
      await this.stack.preview({ color: "never", onOutput, onEvent, signal: timeout() });
    } catch {
      return errors;
    }
    throw new Error(`pulumi preview of stack ${this.name} succeeded; it must fail`);
  }

  async up(label: string, options: { expectNoChanges?: boolean } = {}): Promise<OperationResult> {
    const { onOutput, onEvent, steps, log } = this.recorder(`up-${label}`);
    const result = await this.stack.up({ color: "never", onOutput, onEvent, signal: timeout(), ...options });
    return { summary: result.summary.resourceChanges ?? {}, steps, log };
  }

  async refresh(label: string): Promise<OperationResult> {
    const { onOutput, onEvent, steps, log } = this.recorder(`refresh-${label}`);
    const result = await this.stack.refresh({ color: "never", onOutput, onEvent, signal: timeout() });
    return { summary: result.summary.resourceChanges ?? {}, steps, log };
  }

  async destroy(label: string): Promise<OperationResult> {
    const { onOutput, onEvent, steps, log } = this.recorder(`destroy-${label}`);
    const result = await this.stack.destroy({ color: "never", onOutput, onEvent, signal: timeout() });
    applied.delete(this.name);
    return { summary: result.summary.resourceChanges ?? {}, steps, log };
  }

  async outputs(): Promise<Record<string, unknown>> {
    return Object.fromEntries(Object.entries(await this.stack.outputs()).map(([key, output]) => [key, output.value]));
  }

  async resourceCount(): Promise<number> {
    const exported = await this.stack.exportStack();
    return (exported.deployment as { resources?: unknown[] } | undefined)?.resources?.length ?? 0;
  }

  /** `pulumi stack rm`; --force also drops what the stack still holds. */
  async remove(force = false): Promise<void> {
    await this.stack.workspace.removeStack(this.name, { force });
    applied.delete(this.name);
    for (const key of [...opened.keys()]) if (JSON.parse(key)[0] === this.name) opened.delete(key);
  }

  /** Streams the CLI's output to a log file and keeps the engine's resource steps. */
  private recorder(operation: string) {
    const log = path.join(logsDir(), `pulumi-${this.name}-${operation}.log`);
    fs.writeFileSync(log, "");
    const steps: Step[] = [];
    const errors: string[] = [];
    return {
      log,
      steps,
      errors,
      onOutput: (out: string) => fs.appendFileSync(log, out),
      onEvent: (event: EngineEvent) => {
        const metadata = event.resourcePreEvent?.metadata;
        if (metadata) steps.push({ op: metadata.op, type: metadata.type, urn: metadata.urn, diffs: Object.keys(metadata.detailedDiff ?? {}).sort() });
        if (event.diagnosticEvent?.severity === "error") errors.push(event.diagnosticEvent.message);
      },
    };
  }
}

const timeout = () => AbortSignal.timeout(OPERATION_TIMEOUT_MS);

/** The steps that change something (not "same", not the stack itself). */
export const changes = (steps: Step[]) => steps.filter((s) => s.op !== "same" && s.type !== "pulumi:pulumi:Stack");
