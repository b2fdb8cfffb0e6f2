// Mode l7's proxy: HAProxy in a Deployment behind a ClusterIP Service, balancing every
// gRPC request over the servers it resolves from their headless Service. Its
// configuration (./haproxyConfig) ships as a ConfigMap; a NetworkPolicy admits only
// the echo clients, and a PodDisruptionBudget keeps one proxy serving through drains.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  HAPROXY_COMMAND,
  HAPROXY_CONFIG_DIR,
  HAPROXY_CONFIG_FILE,
  haproxyConfig,
  PROXY_HEALTH_PORT,
  PROXY_HEALTH_PORT_NAME,
  PROXY_LIVE_PATH,
  PROXY_READY_PATH,
  PROXY_THREADS,
  PROXY_TIMING,
  serverSlots,
} from "./haproxyConfig";
import { allowOnlyFrom, oneAtATime } from "./guards";
import { grpcService } from "./grpcService";
import { restrictedContainerSecurityContext } from "./hardening";
import { servingDeployment } from "./servingDeployment";
import { WorkloadLabels } from "./labels";
import { GRPC_PORT, GRPC_PORT_NAME, ProxySettings } from "./mode";

/**
 * Stopping: the pod first pauses in preStop while kube-proxy stops sending new
 * connections to it; then the image's stop signal (SIGUSR1 in the official image:
 * a soft stop) lets HAProxy finish the calls in flight, for at most hardStopAfterMs.
 */
export const PROXY_PRESTOP_SLEEP_SECONDS = 5;
export const PROXY_TERMINATION_GRACE_SECONDS = PROXY_PRESTOP_SLEEP_SECONDS + Math.ceil(PROXY_TIMING.hardStopAfterMs / 1000) + 5;

/** Readiness is asked often: a proxy with no server left should leave its Service fast. */
const READINESS = { periodSeconds: 2, timeoutSeconds: 1, failureThreshold: 2 };
const LIVENESS = { periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 };

export interface EchoProxyArgs {
  namespace: pulumi.Input<string>;
  image: string;
  replicas: number;
  /** The mode's proxy settings: what it resolves. */
  settings: ProxySettings;
  /** How many servers the stack runs; the proxy gets room for more (serverSlots). */
  serverReplicas: number;
  labels: WorkloadLabels;
  /** Selector of the pods allowed to call the proxy. */
  clientSelector: Record<string, string>;
  /** The servers' component: a proxy started before them would wait unready. */
  servers: pulumi.Resource;
}

/** `name` names everything inside: Deployment, Service, PodDisruptionBudget `<name>`, NetworkPolicy `<name>-allow-clients`. */
export class EchoProxy extends pulumi.ComponentResource {
  readonly config: k8s.core.v1.ConfigMap;
  readonly deployment: k8s.apps.v1.Deployment;
  readonly service: k8s.core.v1.Service;
  readonly networkPolicy: k8s.networking.v1.NetworkPolicy;
  readonly disruptionBudget: k8s.policy.v1.PodDisruptionBudget;
  /** The generated haproxy.cfg, as shipped. */
  readonly configText: string;

  constructor(name: string, args: EchoProxyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("grpc-lb:index:EchoProxy", name, {}, opts);
    const { namespace, labels } = args;
    this.configText = haproxyConfig({
      listen: { host: "", port: GRPC_PORT },
      health: { host: "", port: PROXY_HEALTH_PORT },
      upstream: { ...args.settings.upstream, slots: serverSlots(args.serverReplicas) },
      nameservers: "resolv.conf",
    });

    // Auto-named: a new configuration is a new ConfigMap, so the Deployment rolls onto it.
    this.config = new k8s.core.v1.ConfigMap(
      name,
      { metadata: { namespace, labels: labels.pod }, immutable: true, data: { [HAPROXY_CONFIG_FILE]: this.configText } },
      { parent: this },
    );

    this.deployment = servingDeployment(
      name,
      namespace,
      labels,
      args.replicas,
      {
        terminationGracePeriodSeconds: PROXY_TERMINATION_GRACE_SECONDS,
        // Proxies on different nodes where there are several: one node's loss leaves one serving.
        topologySpreadConstraints: [
          { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: labels.selector } },
        ],
        containers: [
          {
            name,
            image: args.image,
            imagePullPolicy: "IfNotPresent",
            command: HAPROXY_COMMAND,
            ports: [
              { name: GRPC_PORT_NAME, containerPort: GRPC_PORT, protocol: "TCP" },
              { name: PROXY_HEALTH_PORT_NAME, containerPort: PROXY_HEALTH_PORT, protocol: "TCP" },
            ],
            readinessProbe: { httpGet: { path: PROXY_READY_PATH, port: PROXY_HEALTH_PORT_NAME }, ...READINESS },
            livenessProbe: { httpGet: { path: PROXY_LIVE_PATH, port: PROXY_HEALTH_PORT_NAME }, ...LIVENESS },
            lifecycle: { preStop: { sleep: { seconds: PROXY_PRESTOP_SLEEP_SECONDS } } },
            volumeMounts: [{ name: "config", mountPath: HAPROXY_CONFIG_DIR, readOnly: true }],
            resources: {
              requests: { cpu: "50m", memory: "32Mi" },
              // As many CPUs as HAProxy runs threads.
              limits: { cpu: String(PROXY_THREADS), memory: "128Mi" },
            },
            securityContext: restrictedContainerSecurityContext(),
          },
        ],
        volumes: [{ name: "config", configMap: { name: this.config.metadata.name } }],
      },
      { parent: this, dependsOn: [args.servers] },
    );

    this.service = grpcService(name, namespace, labels, args.settings.service, { parent: this });

    this.networkPolicy = allowOnlyFrom(name, namespace, labels, args.clientSelector, this);
    this.disruptionBudget = oneAtATime(name, namespace, labels, this);

    this.registerOutputs({
      config: this.config.metadata.name,
      deployment: this.deployment.metadata.name,
      service: this.service.metadata.name,
      networkPolicy: this.networkPolicy.metadata.name,
      disruptionBudget: this.disruptionBudget.metadata.name,
    });
  }
}
