// The server pods' probes, in a module without Pulumi so the lab's stand-in for
// the kubelet (lab/readinessProber.ts) probes on the same schedule.

/** Readiness: the echo service answers. Two misses take a pod out of its Service. */
export const READINESS_PROBE = { periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 };

/** Liveness: the server as a whole answers; three misses restart the container. */
export const LIVENESS_PROBE = { periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 };
