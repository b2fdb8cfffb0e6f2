// Runs the Pulumi program against pulumi.runtime.setMocks and records every
// registration: its type, name and inputs (what the mocks see) and its parent,
// replacement options and dependencies (what the engine would get, read off the mock monitor).
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as pulumiSettings from "@pulumi/pulumi/runtime/settings";
import { CONFIG_NAMESPACE } from "../../../components/config";
import { runProgram as runStackProgram } from "../../../components/program";
import type { EchoStack } from "../../../components/stack";

export const PROJECT = "grpc-lb";
/** Registry digest the mocks give a pushed image. */
export const FAKE_DIGEST = "sha256:" + "ab".repeat(32);

export interface Registration {
  type: string;
  name: string;
  custom: boolean;
  inputs: Record<string, unknown>;
  parent: string;
  deleteBeforeReplace: boolean;
  replaceOnChanges: string[];
  /** URNs the engine must finish first (dependsOn, expanded by the SDK). */
  dependencies: string[];
}

/** The getters of the monitor's RegisterResourceRequest that the recorder reads. */
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getDeletebeforereplace(): boolean;
  getReplaceonchangesList(): string[];
  getDependenciesList(): string[];
}
interface Monitor {
  registerResource(req: RegisterRequest, callback: unknown): unknown;
}

export class Recorder {
  private readonly inputs = new Map<string, { custom: boolean; inputs: Record<string, unknown> }>();
  private readonly options = new Map<string, Omit<Registration, "custom" | "inputs">>();
  private readonly order: string[] = [];

  /** Every resource registered so far, in registration order. */
  get registrations(): Registration[] {
    return this.order.map((id) => {
      const options = this.options.get(id);
      const inputs = this.inputs.get(id);
      if (!options || !inputs) throw new Error(`${id} is not fully registered yet`);
      return { ...options, ...inputs };
    });
  }

  /** "type::name" of everything either the monitor or the mocks have seen. */
  seen(): string[] {
    return [...new Set([...this.order, ...this.inputs.keys()])].sort();
  }

  sawRequest(req: RegisterRequest): void {
    const id = `${req.getType()}::${req.getName()}`;
    this.order.push(id);
    this.options.set(id, {
      type: req.getType(),
      name: req.getName(),
      parent: req.getParent(),
      deleteBeforeReplace: req.getDeletebeforereplace(),
      replaceOnChanges: req.getReplaceonchangesList(),
      dependencies: req.getDependenciesList(),
    });
  }

  sawInputs(args: pulumi.runtime.MockResourceArgs): void {
    this.inputs.set(`${args.type}::${args.name}`, { custom: args.custom ?? false, inputs: args.inputs });
  }

  all(type: string): Registration[] {
    return this.registrations.filter((r) => r.type === type);
  }

  /** The one registration of `type`, or of `type` named `name` where a mode registers several. */
  one(type: string, name?: string): Registration {
    const found = this.all(type).filter((r) => name === undefined || r.name === name);
    if (found.length !== 1) throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}`);
    return found[0];
  }
}

/** Resolves an Output the way a test may: through apply, not the internal promise(). */
export function resolve<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((done) => output.apply((value) => done(value)));
}

/** What the mock "providers" return: the inputs, plus what a real one would add. */
function mockState(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
  if (args.type === "docker:index/image:Image") {
    const imageName = String(args.inputs.imageName);
    const repository = imageName.slice(0, imageName.lastIndexOf(":"));
    // Like the provider: a registry digest after a push, the local image id without.
    const repoDigest = args.inputs.skipPush ? FAKE_DIGEST : `${repository}@${FAKE_DIGEST}`;
    return { ...args.inputs, repoDigest };
  }
  return args.inputs;
}

/**
 * Fresh mocks and config for one program run. Config keys are given without the
 * project prefix; values are strings, as Pulumi passes them.
 */
export async function startMocks(config: Record<string, string>, stack: string): Promise<Recorder> {
  const recorder = new Recorder();
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        recorder.sawInputs(args);
        return { id: `${args.name}-id`, state: mockState(args) };
      },
      call: (args) => args.inputs,
    },
    PROJECT,
    stack,
  );
  const monitor = pulumi.runtime.getMonitor() as unknown as Monitor;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    recorder.sawRequest(req);
    return register(req, callback);
  };
  pulumi.runtime.setAllConfig(
    Object.fromEntries(Object.entries(config).map(([key, value]) => [`${CONFIG_NAMESPACE}:${key}`, value])),
  );
  return recorder;
}

/** A KUBECONFIG that names no file: no current context, whatever this machine's kubeconfig says. */
export const NO_KUBECONFIG = { KUBECONFIG: path.join(os.tmpdir(), "grpc-lb-test-no-such-kubeconfig") };

/** What index.ts runs, on whatever config startMocks set; no kubeconfig context unless `env` gives one. */
export function runProgram(stack: string, env: Record<string, string | undefined> = NO_KUBECONFIG): EchoStack {
  return runStackProgram(stack, env);
}

export interface ResolvedOutputs {
  mode: string;
  namespace: string;
  target: string;
  lbPolicy: string;
  image: string;
  clientPods: string[];
  logCommands: string[];
  getPodsCommand: string;
  /** Mode l7 only. */
  proxyLogCommand?: string;
}

export interface MockRun {
  recorder: Recorder;
  stack: EchoStack;
  outputs: ResolvedOutputs;
}

/** Runs the program for one config and waits until every resource is registered. */
export async function mockRun(config: Record<string, string>, stack = "test"): Promise<MockRun> {
  const recorder = await startMocks(config, stack);
  const program = runProgram(stack);
  const resources: pulumi.Resource[] = [
    program.namespace,
    program.image,
    program.servers,
    program.servers.deployment,
    program.servers.service,
    program.servers.networkPolicy,
    program.clients,
    program.clients.statefulSet,
    ...(program.image.build ? [program.image.build] : []),
    ...(program.proxy ? [program.proxy, program.proxy.config, program.proxy.deployment, program.proxy.service, program.proxy.networkPolicy] : []),
  ];
  await Promise.all(resources.map((r) => resolve(r.urn)));
  const o = program.outputs;
  const outputs: ResolvedOutputs = {
    mode: await resolve(o.mode),
    namespace: await resolve(o.namespace),
    target: await resolve(o.target),
    lbPolicy: await resolve(o.lbPolicy),
    image: await resolve(o.image),
    clientPods: await resolve(o.clientPods),
    logCommands: await resolve(o.logCommands),
    getPodsCommand: await resolve(o.getPodsCommand),
    ...(o.proxyLogCommand ? { proxyLogCommand: await resolve(o.proxyLogCommand) } : {}),
  };
  return { recorder, stack: program, outputs };
}

/** The part of @pulumi/pulumi/runtime/settings that allRpcsDone uses (not in its .d.ts). */
interface RpcQueue {
  waitForRPCs?: () => Promise<void>;
}

/**
 * Resolves once every RPC the Pulumi runtime has started since startMocks has
 * finished: each resource constructor chains its registration onto the
 * runtime's promise of outstanding RPCs (settings.rpcKeepAlive) before its
 * first await, and waitForRPCs waits until that chain stops growing. This is
 * what the SDK itself waits for before disconnecting from the engine, so no
 * registration a run started, even one that threw right after, can reach the
 * mock monitor afterwards: no guessed sleep. waitForRPCs is @internal (exported
 * by runtime/settings.js, absent from its .d.ts), hence the cast and the check;
 * the control test in config.test.ts ("... sees a resource created before the
 * throw") proves this wait catches a registration.
 */
export async function allRpcsDone(): Promise<void> {
  const queue = pulumiSettings as unknown as RpcQueue;
  if (typeof queue.waitForRPCs !== "function") {
    throw new Error("@pulumi/pulumi/runtime/settings no longer exports waitForRPCs: update allRpcsDone in test/components/support/mockRun.ts");
  }
  await queue.waitForRPCs();
}
