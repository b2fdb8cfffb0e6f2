// Typed, validated reads of environment variables. Every error names the
// variable, so a bad deployment fails at start with a message that says what to fix.

export type Env = Record<string, string | undefined>;

/** grpc-js channel and server options are int32. */
export const MAX_GRPC_INT = 2 ** 31 - 1;

export class EnvError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = "EnvError";
  }
}

/** Unset or empty both mean "use the default", as in a Kubernetes manifest. */
function raw(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

export function readString(env: Env, name: string, fallback: string): string {
  const value = raw(env, name) ?? fallback;
  if (/\s/.test(value)) throw new EnvError(name, `must not contain spaces, got ${JSON.stringify(value)}`);
  return value;
}

export function readInt(env: Env, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const text = raw(env, name);
  if (text === undefined) return fallback;
  if (!/^-?\d+$/.test(text)) throw new EnvError(name, `must be a whole number, got ${JSON.stringify(text)}`);
  const value = Number(text);
  if (value < min || value > max) throw new EnvError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** Like readInt, but unset means "no value" rather than a default. */
export function readOptionalInt(env: Env, name: string, min: number, max?: number): number | undefined {
  return raw(env, name) === undefined ? undefined : readInt(env, name, 0, min, max);
}

const TRUE = ["true", "1", "yes", "on"];
const FALSE = ["false", "0", "no", "off"];

export function readBool(env: Env, name: string, fallback: boolean): boolean {
  const text = raw(env, name);
  if (text === undefined) return fallback;
  if (TRUE.includes(text.toLowerCase())) return true;
  if (FALSE.includes(text.toLowerCase())) return false;
  throw new EnvError(name, `must be true or false, got ${JSON.stringify(text)}`);
}

export function readChoice<T extends string>(env: Env, name: string, choices: readonly T[], fallback: T): T {
  const text = raw(env, name) ?? fallback;
  const choice = choices.find((c) => c === text);
  if (choice === undefined) {
    throw new EnvError(name, `must be one of ${choices.join(", ")}, got ${JSON.stringify(text)}`);
  }
  return choice;
}

/**
 * For entry points: the settings, or exit code 2 with the message naming the
 * variable before anything has started.
 */
export function readSettingsOrExit<T>(program: string, read: (env: Env) => T): T {
  try {
    return read(process.env);
  } catch (error) {
    if (!(error instanceof EnvError)) throw error;
    console.error(`${program}: invalid setting ${error.message}`);
    process.exit(2);
  }
}
