// Reads and validates the stack's configuration into a typed object. Every problem
// names the key; all problems are reported at once, and before any resource exists.
import * as pulumi from "@pulumi/pulumi";
import { LOG_FORMATS, LogFormat } from "../echo/clientConfig";
import { MAX_GRPC_INT } from "../echo/env";
import { MODES, Mode, isMode } from "./mode";

export const CONFIG_NAMESPACE = "grpc-lb";

/** The same defaults Pulumi.yaml declares (a test keeps the two in step). */
export const CONFIG_DEFAULTS = {
  mode: "l4",
  namespace: "",
  clusterDomain: "cluster.local",
  serverReplicas: 3,
  clientReplicas: 2,
  clientConcurrency: 4,
  maxConnectionAgeMs: 30000,
  clientLogFormat: "text",
  registry: "",
  image: "",
  baseImage: "",
  platform: "",
  proxyImage: "haproxy:3.2",
  proxyReplicas: 2,
} as const;

export type ConfigKey = keyof typeof CONFIG_DEFAULTS;
export const CONFIG_KEYS = Object.keys(CONFIG_DEFAULTS) as ConfigKey[];

/** Where the image comes from: a reference to use as is, or a build of echo/Dockerfile. */
export type ImageSource =
  | { kind: "prebuilt"; reference: string }
  | { kind: "build"; registry?: string; baseImage?: string; platform?: string };

export interface StackConfig {
  stack: string;
  mode: Mode;
  namespace: string;
  /** The cluster's DNS domain, for the Service name the clients dial. */
  clusterDomain: string;
  serverReplicas: number;
  clientReplicas: number;
  clientConcurrency: number;
  /** Used in clientside mode only; 0 turns it off. */
  maxConnectionAgeMs: number;
  /** How the clients log: text tables for people, or JSON lines for log pipelines and jq. */
  clientLogFormat: LogFormat;
  image: ImageSource;
  /** Mode l7 only: the HAProxy image and how many proxies run. */
  proxyImage: string;
  proxyReplicas: number;
}

/** What readStackConfig needs from pulumi.Config (plain objects work in tests). */
export interface ConfigSource {
  get(key: string): string | undefined;
}

/** A RunError makes Pulumi print just the message, without a stack trace. */
export class ConfigError extends pulumi.RunError {
  constructor(readonly problems: string[]) {
    super(
      problems.length === 1
        ? `Invalid stack configuration: ${problems[0]}`
        : `Invalid stack configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
  }
}

const MAX_CLIENT_CONCURRENCY = 1000; // the echo client refuses more
const MIN_CONNECTION_AGE_MS = 1000; // shorter ages make clients reconnect all the time
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const REGISTRY = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
const PLATFORM = /^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/;

export function readStackConfig(source: ConfigSource, stack: string, presentKeys: string[] = []): StackConfig {
  const problems: string[] = [];
  const key = (name: string) => `${CONFIG_NAMESPACE}:${name}`;
  const text = (name: ConfigKey): string => {
    const value = source.get(name);
    return value === undefined ? String(CONFIG_DEFAULTS[name]) : value.trim();
  };
  const wholeNumber = (name: ConfigKey, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const raw = text(name);
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
      const rule = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
      problems.push(`${key(name)} must be a whole number ${rule}, got ${JSON.stringify(raw)}`);
    }
    return value;
  };
  const noSpaces = (name: ConfigKey): string => {
    const value = text(name);
    if (/\s/.test(value)) problems.push(`${key(name)} must not contain spaces, got ${JSON.stringify(value)}`);
    return value;
  };

  for (const present of presentKeys) {
    const [namespace, name] = present.split(":");
    if (namespace === CONFIG_NAMESPACE && !CONFIG_KEYS.includes(name as ConfigKey)) {
      problems.push(`${present} is not a known key; known keys: ${CONFIG_KEYS.join(", ")}`);
    }
  }

  const modeText = text("mode");
  if (!isMode(modeText)) {
    problems.push(`${key("mode")} must be one of ${MODES.join(", ")}, got ${JSON.stringify(modeText)}`);
  }

  const namespace = text("namespace") || `grpc-lb-${stack}`;
  if (namespace.length > 63 || !DNS_LABEL.test(namespace)) {
    problems.push(
      `${key("namespace")} must be a Kubernetes namespace name (lower case letters, digits and '-', ` +
        `at most 63 characters), got ${JSON.stringify(namespace)}` +
        (text("namespace") ? "" : " (the default grpc-lb-<stack>; set the key to choose another)"),
    );
  }

  const clusterDomain = text("clusterDomain") || CONFIG_DEFAULTS.clusterDomain;
  if (clusterDomain.length > 253 || !DNS_NAME.test(clusterDomain)) {
    problems.push(
      `${key("clusterDomain")} must be a DNS domain in lower case without a trailing dot (the kubelet's ` +
        `clusterDomain), e.g. cluster.local, got ${JSON.stringify(clusterDomain)}`,
    );
  }

  const serverReplicas = wholeNumber("serverReplicas", 1);
  const clientReplicas = wholeNumber("clientReplicas", 1);
  const clientConcurrency = wholeNumber("clientConcurrency", 1, MAX_CLIENT_CONCURRENCY);
  const maxConnectionAgeMs = wholeNumber("maxConnectionAgeMs", 0, MAX_GRPC_INT);
  if (maxConnectionAgeMs > 0 && maxConnectionAgeMs < MIN_CONNECTION_AGE_MS) {
    problems.push(`${key("maxConnectionAgeMs")} must be 0 (off) or at least ${MIN_CONNECTION_AGE_MS}, got ${maxConnectionAgeMs}`);
  }

  const clientLogFormat = text("clientLogFormat");
  if (!(LOG_FORMATS as readonly string[]).includes(clientLogFormat)) {
    problems.push(`${key("clientLogFormat")} must be one of ${LOG_FORMATS.join(", ")}, got ${JSON.stringify(clientLogFormat)}`);
  }

  const proxyReplicas = wholeNumber("proxyReplicas", 1);
  const proxyImage = noSpaces("proxyImage") || CONFIG_DEFAULTS.proxyImage;
  if (/^[a-z]+:\/\//.test(proxyImage)) {
    problems.push(`${key("proxyImage")} must be an image reference without a scheme, e.g. haproxy:3.2, got ${JSON.stringify(proxyImage)}`);
  }

  const registry = noSpaces("registry");
  const image = noSpaces("image");
  const baseImage = noSpaces("baseImage");
  const platform = noSpaces("platform");
  if (registry && !REGISTRY.test(registry)) {
    problems.push(
      `${key("registry")} must look like host[:port][/path] in lower case, without a scheme or a ` +
        `trailing '/', e.g. localhost:5001, got ${JSON.stringify(registry)}`,
    );
  }
  if (image && /^[a-z]+:\/\//.test(image)) {
    problems.push(`${key("image")} must be an image reference without a scheme, got ${JSON.stringify(image)}`);
  }
  if (platform && !PLATFORM.test(platform)) {
    problems.push(`${key("platform")} must look like os/arch[/variant], e.g. linux/amd64, got ${JSON.stringify(platform)}`);
  }
  if (image) {
    // A prebuilt image means nothing is built, so build settings would be silently ignored.
    for (const name of ["registry", "baseImage", "platform"] as const) {
      if (text(name)) problems.push(`${key(name)} cannot be combined with ${key("image")}: with an image set nothing is built`);
    }
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    stack,
    mode: modeText as Mode,
    namespace,
    clusterDomain,
    serverReplicas,
    clientReplicas,
    clientConcurrency,
    maxConnectionAgeMs,
    clientLogFormat: clientLogFormat as LogFormat,
    image: image
      ? { kind: "prebuilt", reference: image }
      : { kind: "build", registry: registry || undefined, baseImage: baseImage || undefined, platform: platform || undefined },
    proxyImage,
    proxyReplicas,
  };
}
