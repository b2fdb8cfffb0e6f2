// The grpc-java peer of test/interop/java (built by scripts/tools/java-peer.sh, which
// prints its classpath) as tracked children of the lab: the interop checks run its
// client and server, the peer benchmark measures our server against its server.
import { Child, startTracked } from "./processes";
import { orTimeout } from "./timing";

export const JAVA_SERVER_CLASS = "com.example.grpc.EchoServer";

export interface JavaOptions {
  classpath: string;
  /** JVM flags; none = the JVM's own defaults, as the original example runs. */
  jvmOptions?: string[];
  /** Put before `java` (e.g. taskset -c 0). */
  prefix?: string[];
  /** The java binary; default `java` on PATH. */
  java?: string;
  env?: Record<string, string>;
}

export interface JavaProcess extends Child {
  lines: string[];
  /** SIGTERM, a bounded wait, then SIGKILL and another bounded wait. */
  stop(timeoutMs?: number): Promise<void>;
}

/** Spawns `mainClass` of the peer at once (no waiting: the caller times its start). */
export function startJava(mainClass: string, args: string[], options: JavaOptions): JavaProcess {
  const lines: string[] = [];
  const command = [...(options.prefix ?? []), options.java ?? "java", ...(options.jvmOptions ?? []), "-cp", options.classpath, mainClass, ...args];
  const env: Record<string, string> = { ...options.env };
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
  return { ...child, lines, stop };
}

export interface JavaServerOptions extends JavaOptions {
  host: string;
  port: number;
  /** Per-call log line (LOG_REQUESTS); off by default, as for our server in the lab. */
  logRequests?: boolean;
}

export interface JavaServer extends JavaProcess {
  host: string;
  port: number;
}

/** The EchoServer on host:port, answering with the host as `from`, as the original does. */
export function startJavaServer(options: JavaServerOptions): JavaServer {
  const env = { ...options.env, LOG_REQUESTS: options.logRequests ? "true" : "false" };
  const server = startJava(JAVA_SERVER_CLASS, [options.host, String(options.port), options.host], { ...options, env });
  return { ...server, host: options.host, port: options.port };
}
