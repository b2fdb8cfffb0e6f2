// The grpc-java EchoServer of test/interop/java (built by scripts/tools/java-peer.sh,
// which prints its classpath) as a tracked child of the lab: the peer our server
// is measured against.
import { Child, startTracked } from "./processes";
import { orTimeout } from "./timing";

export const JAVA_SERVER_CLASS = "com.example.grpc.EchoServer";

export interface JavaServerOptions {
  classpath: string;
  host: string;
  port: number;
  /** JVM flags; none = the JVM's own defaults, as the original example runs. */
  jvmOptions?: string[];
  /** A command the JVM runs under, e.g. ["taskset", "-c", "0"]; it must exec java so the PID stays the JVM's. */
  prefix?: string[];
  /** Per-call log line (LOG_REQUESTS); off by default, as for our server in the lab. */
  logRequests?: boolean;
}

export interface JavaServer extends Child {
  host: string;
  port: number;
  lines: string[];
  /** SIGTERM, a bounded wait, then SIGKILL and another bounded wait. */
  stop(timeoutMs?: number): Promise<void>;
}

/** Spawns the JVM at once (no waiting: the caller times its start). */
export function startJavaServer(options: JavaServerOptions): JavaServer {
  const lines: string[] = [];
  const command = [
    ...(options.prefix ?? []),
    "java",
    ...(options.jvmOptions ?? []),
    "-cp",
    options.classpath,
    JAVA_SERVER_CLASS,
    options.host,
    String(options.port),
    options.host, // `from`: the address, as the original answers
  ];
  const env: Record<string, string> = { LOG_REQUESTS: options.logRequests ? "true" : "false" };
  if (process.env.JAVA_HOME) env.JAVA_HOME = process.env.JAVA_HOME;
  const child = startTracked(command[0], command.slice(1), env, (line) => lines.push(line));
  const stop = async (timeoutMs = 5000) => {
    const running = () => child.child.exitCode === null && child.child.signalCode === null;
    if (!running()) return;
    child.kill("SIGTERM");
    if ((await orTimeout(child.exited, timeoutMs)) !== "timeout") return;
    child.kill("SIGKILL");
    await orTimeout(child.exited, timeoutMs);
  };
  return { ...child, host: options.host, port: options.port, lines, stop };
}
