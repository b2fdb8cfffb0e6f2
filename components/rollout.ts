// How long `pulumi up` waits for a workload to become ready.

/** Fail after 5 minutes instead of Pulumi's default 10 when pods never get ready. */
export const AWAIT_TIMEOUT_ANNOTATION = { "pulumi.com/timeoutSeconds": "300" };
