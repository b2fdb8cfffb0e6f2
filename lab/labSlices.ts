// The lab's Service as EndpointSlices, cut as the EndpointSlice controller cuts them by
// default: at most 100 endpoints a slice, as many slices as that takes, one when empty.
// Unlike the controller, which keeps endpoints where they are, this re-packs by order on
// every change: the resolver must not care which slice an endpoint comes in.
import { GRPC_PORT_NAME, SERVER_NAME } from "../components/mode";
import type { EndpointSlice } from "../echo/kubernetes/endpointSlices";
import { endpointSlice } from "./kubeApiStandIn";

/** The EndpointSlice controller's default --max-endpoints-per-slice. */
export const MAX_ENDPOINTS_PER_SLICE = 100;

export interface LabEndpoint {
  host: string;
  /** The pod's name. */
  name: string;
}

export function labSlices(ready: readonly LabEndpoint[], port: number): EndpointSlice[] {
  const count = Math.max(1, Math.ceil(ready.length / MAX_ENDPOINTS_PER_SLICE));
  return Array.from({ length: count }, (_, i) =>
    endpointSlice({
      name: `${SERVER_NAME}-lab-${i + 1}`,
      endpoints: ready.slice(i * MAX_ENDPOINTS_PER_SLICE, (i + 1) * MAX_ENDPOINTS_PER_SLICE).map((s) => ({ ip: s.host, pod: s.name, ready: true })),
      ports: [{ name: GRPC_PORT_NAME, port }],
    }),
  );
}
