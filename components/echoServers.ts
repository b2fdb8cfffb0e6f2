// The server side: Deployment `echo-server`, the Service clients address (its shape
// comes from the mode), a NetworkPolicy that admits only their callers (the clients, or
// l7's proxy), and a
// PodDisruptionBudget so that voluntary evictions (kubectl drain) take one server at a time.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { allowOnlyFrom, oneAtATime } from "./guards";
import { grpcService } from "./grpcService";
import { restrictedContainerSecurityContext } from "./hardening";
import { servingDeployment } from "./servingDeployment";
import { GRPC_PORT, GRPC_PORT_NAME } from "./mode";
import { SERVER_KEEPALIVE } from "../echo/keepalive";
import { LIVENESS_PROBE, READINESS_PROBE } from "./probes";
import { WorkloadArgs } from "./workloadArgs";

/** Health service names the server registers (grpc.health.v1). */
export const HEALTH_SERVICE_ECHO = "com.example.grpc.EchoService";

/**
 * Shutdown timing, all from these numbers: on deletion the pod first pauses in
 * preStop while endpoints and kube-proxy / DNS caches drop it, then gets SIGTERM,
 * turns NOT_SERVING and finishes in-flight calls within SHUTDOWN_GRACE_MS.
 */
export const PRESTOP_SLEEP_SECONDS = 5;
export const SHUTDOWN_GRACE_MS = 10_000;
const TERMINATION_MARGIN_SECONDS = 5;
export const SERVER_TERMINATION_GRACE_SECONDS =
  PRESTOP_SLEEP_SECONDS + Math.ceil(SHUTDOWN_GRACE_MS / 1000) + TERMINATION_MARGIN_SECONDS;

/** How long an aged-out connection may finish its calls after GOAWAY. */
export const MAX_CONNECTION_AGE_GRACE_MS = 10_000;

export interface EchoServersArgs extends WorkloadArgs {
  /** Selector of the pods allowed to call the servers: the clients, or in l7 the proxy. */
  clientSelector: Record<string, string>;
}

/**
 * `name` names everything inside, as Pulumi resources and as Kubernetes objects:
 * Deployment, Service and PodDisruptionBudget `<name>`, NetworkPolicy
 * `<name>-allow-clients`; a second instance with another name does not collide.
 */
export class EchoServers extends pulumi.ComponentResource {
  readonly deployment: k8s.apps.v1.Deployment;
  readonly service: k8s.core.v1.Service;
  readonly networkPolicy: k8s.networking.v1.NetworkPolicy;
  readonly disruptionBudget: k8s.policy.v1.PodDisruptionBudget;

  constructor(name: string, args: EchoServersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("grpc-lb:index:EchoServers", name, {}, opts);
    const { namespace, labels } = args;

    this.deployment = servingDeployment(
      name,
      namespace,
      labels,
      args.replicas,
      {
        terminationGracePeriodSeconds: SERVER_TERMINATION_GRACE_SECONDS,
        containers: [
          {
            name,
            image: args.image,
            imagePullPolicy: args.imagePullPolicy,
            ports: [{ name: GRPC_PORT_NAME, containerPort: GRPC_PORT, protocol: "TCP" }],
            env: [
              { name: "PORT", value: String(GRPC_PORT) },
              { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
              { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
              { name: "MAX_CONNECTION_AGE_MS", value: String(args.settings.maxConnectionAgeMs) },
              { name: "MAX_CONNECTION_AGE_GRACE_MS", value: String(MAX_CONNECTION_AGE_GRACE_MS) },
              { name: "SHUTDOWN_GRACE_MS", value: String(SHUTDOWN_GRACE_MS) },
              { name: "KEEPALIVE_TIME_MS", value: String(SERVER_KEEPALIVE.timeMs) },
              { name: "KEEPALIVE_TIMEOUT_MS", value: String(SERVER_KEEPALIVE.timeoutMs) },
              // The clients' logs already say who answered each call.
              { name: "LOG_REQUESTS", value: "false" },
            ],
            // Native gRPC probes call grpc.health.v1 on the serving port: readiness
            // asks for the echo service, liveness for the server as a whole.
            readinessProbe: { grpc: { port: GRPC_PORT, service: HEALTH_SERVICE_ECHO }, ...READINESS_PROBE },
            livenessProbe: { grpc: { port: GRPC_PORT, service: "" }, ...LIVENESS_PROBE },
            // The native sleep action needs no sleep binary in the image (Kubernetes >= 1.30).
            lifecycle: { preStop: { sleep: { seconds: PRESTOP_SLEEP_SECONDS } } },
            resources: {
              requests: { cpu: "50m", memory: "64Mi" },
              limits: { cpu: "500m", memory: "256Mi" },
            },
            securityContext: restrictedContainerSecurityContext(),
          },
        ],
      },
      { parent: this },
    );

    this.service = grpcService(name, namespace, labels, args.settings.service, {
      parent: this,
      // clusterIP is immutable, and an apply that drops "None" leaves the Service
      // headless: switching a stack's mode must delete the Service and create it
      // again, deleting first because the name stays the same.
      replaceOnChanges: ["spec.clusterIP"],
      deleteBeforeReplace: true,
    });

    this.networkPolicy = allowOnlyFrom(name, namespace, labels, args.clientSelector, this);
    this.disruptionBudget = oneAtATime(name, namespace, labels, this);

    this.registerOutputs({
      deployment: this.deployment.metadata.name,
      service: this.service.metadata.name,
      networkPolicy: this.networkPolicy.metadata.name,
      disruptionBudget: this.disruptionBudget.metadata.name,
    });
  }
}
