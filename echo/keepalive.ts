// Keepalive defaults of both sides, in one place: the env tables (clientConfig.ts,
// serverConfig.ts) default to them and the Pulumi stack sets them explicitly.

/**
 * Client: with calls in flight, ping after 10 s and give up on the connection 5 s
 * later. A server that vanished without a FIN or RST (node lost, network cut,
 * process frozen) is then left after ~15 s instead of when TCP gives up (~15 min).
 * 10 s is the shortest interval grpc-java and grpc-go clients accept.
 */
export const CLIENT_KEEPALIVE = { timeMs: 10_000, timeoutMs: 5_000 };

/** Server: ping each client connection every 30 s and close it 10 s after an unanswered ping. */
export const SERVER_KEEPALIVE = { timeMs: 30_000, timeoutMs: 10_000 };
