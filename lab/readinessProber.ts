// The lab's stand-in for the kubelet's readiness probe plus the endpoints
// controller: every period it calls grpc.health.v1.Health/Check for the echo
// service on each server, and after `failureThreshold` misses in a row (no
// answer within the timeout, an error, or NOT_SERVING) the server counts as not
// ready until one probe succeeds again. A frozen or killed server thereby leaves
// DNS and the balancer the way a pod leaves its Service.
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { protoPath as HEALTH_PROTO } from "grpc-health-check";
import { READINESS_PROBE } from "../components/probes";
import { ECHO_SERVICE_NAME } from "../echo/proto";

export interface ProbeTiming {
  periodMs: number;
  timeoutMs: number;
  failureThreshold: number;
}

/** The stack's readiness probe (components/probes.ts). */
export const STACK_PROBE: ProbeTiming = {
  periodMs: READINESS_PROBE.periodSeconds * 1000,
  timeoutMs: READINESS_PROBE.timeoutSeconds * 1000,
  failureThreshold: READINESS_PROBE.failureThreshold,
};

type HealthClient = grpc.Client & {
  check(
    request: { service: string },
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, response?: { status: string }) => void,
  ): void;
};

let HealthConstructor: grpc.ServiceClientConstructor | undefined;
function healthClient(address: string): HealthClient {
  if (!HealthConstructor) {
    const definition = protoLoader.loadSync(HEALTH_PROTO, { enums: String, defaults: true });
    const pkg = grpc.loadPackageDefinition(definition) as unknown as { grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } } };
    HealthConstructor = pkg.grpc.health.v1.Health;
  }
  return new HealthConstructor(address, grpc.credentials.createInsecure()) as unknown as HealthClient;
}

interface Target {
  client: HealthClient;
  misses: number;
  ready: boolean;
  inFlight: boolean;
}

export class ReadinessProber {
  private readonly targets = new Map<string, Target>();
  private readonly timer: NodeJS.Timeout;

  /** `onChange` runs whenever a target's readiness flips. */
  constructor(
    private readonly timing: ProbeTiming,
    private readonly onChange: () => void,
  ) {
    this.timer = setInterval(() => this.probeAll(), timing.periodMs);
    this.timer.unref();
  }

  /** Starts probing `address` ("host:port"); it counts as ready until probes say otherwise. */
  add(address: string): void {
    if (this.targets.has(address)) return;
    this.targets.set(address, { client: healthClient(address), misses: 0, ready: true, inFlight: false });
  }

  remove(address: string): void {
    this.targets.get(address)?.client.close();
    this.targets.delete(address);
  }

  isReady(address: string): boolean {
    return this.targets.get(address)?.ready ?? false;
  }

  stop(): void {
    clearInterval(this.timer);
    for (const address of [...this.targets.keys()]) this.remove(address);
  }

  private probeAll(): void {
    for (const target of this.targets.values()) {
      // Like the kubelet: a probe still waiting for its answer is not doubled up.
      if (target.inFlight) continue;
      target.inFlight = true;
      target.client.check({ service: ECHO_SERVICE_NAME }, { deadline: Date.now() + this.timing.timeoutMs }, (error, response) => {
        target.inFlight = false;
        this.record(target, !error && response?.status === "SERVING");
      });
    }
  }

  private record(target: Target, ok: boolean): void {
    target.misses = ok ? 0 : target.misses + 1;
    const ready = ok || (target.ready && target.misses < this.timing.failureThreshold);
    if (ready === target.ready) return;
    target.ready = ready;
    this.onChange();
  }
}
