// The Service in front of a serving workload (the servers, l7's proxy): its gRPC port,
// shaped as the mode says (ClusterIP or headless).
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { WorkloadLabels } from "./labels";
import { GRPC_PORT, GRPC_PORT_NAME, ServiceShape } from "./mode";

export function grpcService(
  name: string,
  namespace: pulumi.Input<string>,
  labels: WorkloadLabels,
  shape: ServiceShape,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Service {
  return new k8s.core.v1.Service(
    name,
    {
      metadata: { name, namespace, labels: labels.pod },
      spec: {
        ...shape,
        selector: labels.selector,
        ports: [{ name: GRPC_PORT_NAME, port: GRPC_PORT, targetPort: GRPC_PORT_NAME, protocol: "TCP", appProtocol: "grpc" }],
      },
    },
    opts,
  );
}
