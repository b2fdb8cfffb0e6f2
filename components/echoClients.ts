// The clients: StatefulSet `echo-client`, so the pod names echo-client-0..N-1 are
// known at deploy time and can be printed as ready-to-run `kubectl logs` commands.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { LogFormat } from "../echo/clientConfig";
import { CLIENT_KEEPALIVE } from "../echo/keepalive";
import { EndpointSliceAccess, endpointSliceAccess } from "./endpointSliceAccess";
import { hardenedPodFields, restrictedContainerSecurityContext } from "./hardening";
import { AWAIT_TIMEOUT_ANNOTATION } from "./rollout";
import { WorkloadArgs } from "./workloadArgs";

/** The client stops its loops and prints its final table well within this. */
export const CLIENT_TERMINATION_GRACE_SECONDS = 10;

export interface EchoClientsArgs extends WorkloadArgs {
  concurrency: number;
  logFormat: LogFormat;
  /**
   * What the clients dial, the servers or l7's proxy: the clients are created only once
   * it is ready. A client that starts first sees an empty or partial backend set: l4
   * clients all pin to the first server that turns ready, clientside ones spread only
   * after their next re-resolution, and the first calls fail UNAVAILABLE (seen on a
   * real node in the e2e).
   */
  upstream: pulumi.Resource;
}

/** `name` names the StatefulSet (Pulumi resource and Kubernetes object) and so its pods `<name>-N`. */
export class EchoClients extends pulumi.ComponentResource {
  readonly statefulSet: k8s.apps.v1.StatefulSet;
  /** Only when the mode's clients read the Kubernetes API. */
  readonly access?: EndpointSliceAccess;
  /** echo-client-0 .. echo-client-(replicas-1). */
  readonly podNames: pulumi.Output<string[]>;

  constructor(name: string, args: EchoClientsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("grpc-lb:index:EchoClients", name, {}, opts);
    const { labels } = args;
    if (args.settings.readsEndpointSlices) this.access = endpointSliceAccess(name, args.namespace, labels.pod, this);
    // Only these clients get a token: every other pod of the project runs without one.
    const apiAccess = this.access
      ? { serviceAccountName: this.access.serviceAccount.metadata.name, automountServiceAccountToken: true }
      : {};

    this.statefulSet = new k8s.apps.v1.StatefulSet(
      name,
      {
        metadata: { name, namespace: args.namespace, labels: labels.pod, annotations: AWAIT_TIMEOUT_ANNOTATION },
        spec: {
          replicas: args.replicas,
          // Start and stop all clients at once: they do not depend on each other.
          podManagementPolicy: "Parallel",
          selector: { matchLabels: labels.selector },
          revisionHistoryLimit: 3,
          template: {
            metadata: { labels: labels.pod },
            spec: {
              ...hardenedPodFields(),
              ...apiAccess,
              terminationGracePeriodSeconds: CLIENT_TERMINATION_GRACE_SECONDS,
              containers: [
                {
                  name,
                  image: args.image,
                  imagePullPolicy: args.imagePullPolicy,
                  // Same image as the server, whose default command runs the server.
                  command: ["node", "dist/echo/client.js"],
                  env: [
                    { name: "ECHO_SERVICE_TARGET", value: args.settings.target },
                    { name: "ECHO_LB_POLICY", value: args.settings.lbPolicy },
                    { name: "ECHO_CONCURRENCY", value: String(args.concurrency) },
                    { name: "ECHO_KEEPALIVE_TIME_MS", value: String(CLIENT_KEEPALIVE.timeMs) },
                    { name: "ECHO_KEEPALIVE_TIMEOUT_MS", value: String(CLIENT_KEEPALIVE.timeoutMs) },
                    { name: "ECHO_LOG_FORMAT", value: args.logFormat },
                  ],
                  resources: {
                    requests: { cpu: "50m", memory: "64Mi" },
                    limits: { cpu: "250m", memory: "128Mi" },
                  },
                  securityContext: restrictedContainerSecurityContext(),
                },
              ],
            },
          },
        },
      },
      // The binding first: a client that starts without it gets 403 until it exists.
      { parent: this, dependsOn: [args.upstream, ...(this.access ? [this.access.binding] : [])] },
    );

    this.podNames = this.statefulSet.metadata.name.apply((setName) =>
      Array.from({ length: args.replicas }, (_, i) => `${setName}-${i}`),
    );
    this.registerOutputs({ statefulSet: this.statefulSet.metadata.name, podNames: this.podNames });
  }
}
