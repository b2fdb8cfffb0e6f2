// Whether the image the stack builds can reach the cluster's nodes, for the
// clusters where the program can tell from the context: an image built into the
// local Docker daemon (no registry, no prebuilt image) is invisible to kind's
// nodes, and to minikube's unless this shell uses minikube's daemon. Said at
// preview, with the fix, instead of pods stuck in ErrImagePull for 5 minutes.
import type { Env } from "../echo/env";
import type { ImageSource } from "./config";

export function imageReachProblem(image: ImageSource, context: string | undefined, env: Env): string | undefined {
  if (image.kind !== "build" || image.registry || !context) return undefined;
  if (context.startsWith("kind-")) {
    const cluster = context.slice("kind-".length);
    return (
      `the image would be built into your local Docker daemon, which the nodes of kind cluster "${cluster}" ` +
      `(context ${context}) cannot see. Either load it: docker build -f echo/Dockerfile -t grpc-lb-echo:dev . && ` +
      `kind load docker-image grpc-lb-echo:dev --name ${cluster} && pulumi config set grpc-lb:image grpc-lb-echo:dev; ` +
      `or push it: pulumi config set grpc-lb:registry localhost:5001 (kind's local registry)`
    );
  }
  if (context === "minikube" && env.MINIKUBE_ACTIVE_DOCKERD === undefined) {
    return (
      `the image would be built into your local Docker daemon, which minikube's node cannot see: ` +
      `run eval $(minikube docker-env) in this shell, then pulumi up again (or set grpc-lb:image or grpc-lb:registry)`
    );
  }
  return undefined;
}
