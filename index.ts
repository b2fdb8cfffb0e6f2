// Deploys the echo service in the load-balancing mode the stack's config chooses
// (Pulumi.l4.yaml, Pulumi.clientside.yaml, Pulumi.api.yaml, Pulumi.l7.yaml).
// Reads config, composes, exports.
import * as pulumi from "@pulumi/pulumi";
import { runProgram } from "./components/program";

const { outputs } = runProgram(pulumi.getStack());

export const mode = outputs.mode;
export const namespace = outputs.namespace;
export const target = outputs.target;
export const lbPolicy = outputs.lbPolicy;
export const image = outputs.image;
export const clientPods = outputs.clientPods;
export const logCommands = outputs.logCommands;
export const getPodsCommand = outputs.getPodsCommand;
export const proxyLogCommand = outputs.proxyLogCommand;
