// What the server and the client workloads both need to be declared.
import * as pulumi from "@pulumi/pulumi";
import { WorkloadLabels } from "./labels";
import { ModeSettings } from "./mode";

export interface WorkloadArgs {
  namespace: pulumi.Input<string>;
  image: pulumi.Input<string>;
  imagePullPolicy: string;
  replicas: number;
  settings: ModeSettings;
  labels: WorkloadLabels;
}
