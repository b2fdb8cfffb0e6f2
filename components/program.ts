// The whole program as Pulumi runs it, for index.ts and the mocks tests alike:
// read and check the stack's config (before anything is registered), then deploy.
import * as pulumi from "@pulumi/pulumi";
import type { Env } from "../echo/env";
import { CONFIG_NAMESPACE, ConfigError, readStackConfig } from "./config";
import { imageReachProblem } from "./imageReach";
import { kubeContext } from "./kubeContext";
import { EchoStack, deployEchoStack } from "./stack";

export function runProgram(stack: string, env: Env = process.env): EchoStack {
  const config = readStackConfig(new pulumi.Config(CONFIG_NAMESPACE), stack, Object.keys(pulumi.runtime.allConfig()));
  const kubernetes = new pulumi.Config("kubernetes");
  const context = kubeContext({ context: kubernetes.get("context"), kubeconfig: kubernetes.get("kubeconfig") }, env);
  const problem = imageReachProblem(config.image, context, env);
  if (problem) throw new ConfigError([problem]);
  return deployEchoStack(config);
}
