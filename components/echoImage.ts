// The echo image: built from echo/Dockerfile with the repository as context and
// tagged by the content hash of its inputs, or a prebuilt reference used as is.
import * as path from "node:path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { ImageSource } from "./config";
import { imageContentHash } from "./imageHash";
import { findProjectRoot } from "./projectRoot";

export const IMAGE_REPOSITORY = "grpc-lb-echo";
const TAG_LENGTH = 16;

export interface EchoImageArgs {
  source: ImageSource;
  /** Defaults to the directory holding Pulumi.yaml. */
  projectRoot?: string;
}

export class EchoImage extends pulumi.ComponentResource {
  /** The reference pods run: a digest when pushed, the tag when local, or the given one. */
  readonly reference: pulumi.Output<string>;
  /**
   * Always IfNotPresent: tags are content hashes and pushed images are pinned by
   * digest, so a cached image is never stale; and images that only exist on the
   * node (local daemon, `kind load`) must not be pulled.
   */
  readonly pullPolicy = "IfNotPresent";
  /** Undefined when a prebuilt image is used: nothing is built then. */
  readonly build?: docker.Image;

  constructor(name: string, args: EchoImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("grpc-lb:index:EchoImage", name, {}, opts);
    const source = args.source;
    if (source.kind === "prebuilt") {
      this.reference = pulumi.output(source.reference);
    } else {
      const root = args.projectRoot ?? findProjectRoot();
      const tag = imageContentHash(root, { BASE_IMAGE: source.baseImage, platform: source.platform }).slice(0, TAG_LENGTH);
      const repository = source.registry ? `${source.registry}/${IMAGE_REPOSITORY}` : IMAGE_REPOSITORY;
      // Relative to the working directory (the project directory under Pulumi),
      // so the stack's state holds no machine-specific paths.
      const context = path.relative(process.cwd(), root) || ".";
      this.build = new docker.Image(
        name,
        {
          imageName: `${repository}:${tag}`,
          build: {
            context,
            dockerfile: path.join(context, "echo", "Dockerfile"),
            args: source.baseImage ? { BASE_IMAGE: source.baseImage } : undefined,
            platform: source.platform,
          },
          // Without a registry the image stays in the local daemon, which Docker
          // Desktop and `minikube docker-env` clusters run images from.
          skipPush: !source.registry,
        },
        { parent: this },
      );
      // A pushed image is pinned by digest; a local one has no registry digest.
      this.reference = source.registry ? this.build.repoDigest : this.build.imageName;
    }
    this.registerOutputs({ reference: this.reference });
  }
}
