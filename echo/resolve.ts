// `node dist/echo/resolve.js <target> [--once]`: what a client's resolver sees for a target,
// one JSON line per result, through grpc-js's own resolvers (dns:, ipv4:, ipv6:, unix:) and
// this project's (kubernetes:). Runs until SIGTERM/SIGINT, or after the first result with
// --once. In a client pod, `kubectl exec echo-client-0 -- node dist/echo/resolve.js <target>`
// answers "what does this client see?" with the pod's own DNS, token and permissions.
import { needsAlternativeResolver, usesKubernetesResolver } from "./clientConfig";

const usage = "usage: node dist/echo/resolve.js <target> [--once]   e.g. kubernetes:///echo-server.grpc-lb-api:grpc";
/** How often a dns: target is looked up again (and the least time grpc-js allows between two); a kubernetes: watch pushes changes itself. */
const DNS_POLL_MS = 5000;
const EMPTY_SETTLE_MS = 100;

interface GrpcUri {
  scheme?: string;
  authority?: string;
  path: string;
}

/** As grpc-js parses targets; an unknown scheme means the whole target is a dns: name. */
function parseTarget(target: string): GrpcUri {
  const match = /^(?:([A-Za-z0-9+.-]+):)?(?:\/\/([^/]*)\/)?(.+)$/.exec(target);
  if (!match) throw new Error(`not a gRPC target: ${JSON.stringify(target)}`);
  const [, scheme, authority, path] = match;
  if (scheme && ["dns", "ipv4", "ipv6", "unix", "kubernetes"].includes(scheme)) return { scheme, authority, path };
  return { scheme: "dns", path: target };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const once = args.includes("--once");
  const targets = args.filter((a) => a !== "--once");
  if (targets.length !== 1 || targets[0].startsWith("-")) {
    console.error(usage);
    process.exit(2);
  }
  const [target] = targets;
  // As the client does, before grpc-js is loaded: otherwise dns://<server>/ ignores the server.
  if (needsAlternativeResolver(target)) process.env.GRPC_NODE_USE_ALTERNATIVE_RESOLVER ??= "true";
  const grpc = await import("@grpc/grpc-js");
  if (usesKubernetesResolver(target)) (await import("./kubernetes/register")).registerKubernetesResolver();

  let last = "";
  let poll: NodeJS.Timeout | undefined;
  // An empty list followed at once by an error is one result: calls then fail with that
  // error (the kubernetes: resolver reports "nothing ready" or a 403 that way).
  let pendingEmpty: NodeJS.Timeout | undefined;
  // A resolver keeps nothing alive by itself (its watch's sockets are unref'd, as a
  // channel's helpers should be): this command waits on purpose until it is told to stop.
  const alive = setInterval(() => undefined, 1 << 30);
  const finish = (code: number) => {
    clearInterval(alive);
    clearTimeout(pendingEmpty);
    if (poll) clearInterval(poll);
    resolver.destroy();
    process.exitCode = code;
  };
  const print = (line: object, ok: boolean) => {
    const text = JSON.stringify(line);
    if (text !== last) console.log(text);
    last = text;
    if (once) finish(ok ? 0 : 1);
  };
  // The listener never runs before this returns: grpc-js resolvers report asynchronously.
  const resolver = grpc.experimental.createResolver(
    parseTarget(target),
    (endpoints) => {
      clearTimeout(pendingEmpty);
      if (endpoints.ok) {
        const list = endpoints.value.flatMap((e) => e.addresses.map((a) => grpc.experimental.subchannelAddressToString(a))).sort();
        const line = { event: "resolved", target, endpoints: list };
        if (list.length > 0) print(line, true);
        else pendingEmpty = setTimeout(() => print(line, true), EMPTY_SETTLE_MS);
      } else {
        print({ event: "error", target, code: grpc.status[endpoints.error.code], message: endpoints.error.details }, false);
      }
      return true;
    },
    { "grpc.dns_min_time_between_resolutions_ms": DNS_POLL_MS },
  );
  resolver.updateResolution();
  if (!usesKubernetesResolver(target) && !once) poll = setInterval(() => resolver.updateResolution(), DNS_POLL_MS);
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => finish(0));
}

main().catch((error: unknown) => {
  console.error("resolve:", error instanceof Error ? error.message : error);
  process.exit(1);
});
