// What our server's extras (health, reflection, validation, connection ageing)
// cost: the same client against our server and against a bare @grpc/grpc-js
// server on the same proto, in alternating rounds so that drift in the
// machine's load hits both alike. Request logging is off for both.
import { BARE_SERVER_ENTRY } from "./bareEchoServer";
import { measureLoad } from "./benchLoad";
import { freePort, ServerProcess, startServer } from "./processes";
import { quantile, round } from "./stats";
import { Teardown } from "./teardown";

export interface OverheadSettings {
  rounds: number;
  concurrency: number;
  windowMs: number;
  minCalls: number;
}

export interface Overhead {
  concurrency: number;
  oursCallsPerS: number[];
  bareCallsPerS: number[];
  /** Medians of the rounds. */
  ours: number;
  bare: number;
  /** ours / bare of each round (the two runs of a round are back to back). */
  roundRatios: number[];
  /** Median of the round ratios: pairing runs close in time cancels most of the drift in the machine's load. */
  ratio: number;
}

const HOST = "127.0.0.1";

async function callsPerS(server: ServerProcess, settings: OverheadSettings): Promise<number> {
  const load = await measureLoad({
    clients: [{ ECHO_SERVICE_TARGET: `${server.host}:${server.port}`, ECHO_LB_POLICY: "pick_first" }],
    concurrency: settings.concurrency,
    windowMs: settings.windowMs,
    minCalls: settings.minCalls,
  });
  return load.callsPerS;
}

export async function measureOverhead(settings: OverheadSettings): Promise<Overhead> {
  const teardown = new Teardown();
  try {
    const start = async (name: string, entry?: string) => {
      const server = await startServer({ name, host: HOST, port: await freePort([HOST]), env: { LOG_REQUESTS: "false" }, entry });
      teardown.add(() => server.stop("SIGKILL"));
      return server;
    };
    const ours = await start("ours");
    const bare = await start("bare", BARE_SERVER_ENTRY);
    const oursCallsPerS: number[] = [];
    const bareCallsPerS: number[] = [];
    for (let i = 0; i < settings.rounds; i++) {
      // Alternate which goes first, so a trend in the machine's load evens out.
      const order = i % 2 === 0 ? [ours, bare] : [bare, ours];
      for (const server of order) (server === ours ? oursCallsPerS : bareCallsPerS).push(await callsPerS(server, settings));
    }
    const roundRatios = oursCallsPerS.map((ours, i) => (bareCallsPerS[i] > 0 ? round(ours / bareCallsPerS[i], 3) : 0));
    return {
      concurrency: settings.concurrency,
      oursCallsPerS,
      bareCallsPerS,
      ours: quantile(oursCallsPerS, 0.5),
      bare: quantile(bareCallsPerS, 0.5),
      roundRatios,
      ratio: quantile(roundRatios, 0.5),
    };
  } finally {
    await teardown.run();
  }
}
