// The target scheme this project's resolver answers (echo/kubernetes/register.ts); on its
// own so that reading the client's config does not load grpc-js.
export const KUBERNETES_SCHEME = "kubernetes";
