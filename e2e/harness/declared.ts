// What the program declares for a config, from the program itself run under Pulumi's mocks
// in this process (the same runner the unit tests use): the resources `up` must create,
// and the inputs the API server must then hold.
import { MockRun, Registration, allRpcsDone, mockRun } from "../../test/components/support/mockRun";
import { Step } from "./stacks";
import { StackConfigValues } from "./stacks";

export async function declaredResources(stack: string, values: StackConfigValues): Promise<Registration[]> {
  return (await declaredRun(stack, values)).recorder.registrations;
}

/** The whole mock run: its registrations and the program's own objects (the proxy's configuration text). */
export async function declaredRun(stack: string, values: StackConfigValues): Promise<MockRun> {
  const run = await mockRun(values as Record<string, string>, stack);
  await allRpcsDone();
  return run;
}

/** "type::name" of the program's resources, sorted. */
export const declaredKeys = (registrations: Registration[]) => registrations.map((r) => `${r.type}::${r.name}`).sort();

/** "type::name" of the engine's steps for the program's resources (not the stack, not providers), sorted. */
export const stepKeys = (steps: Step[]) =>
  steps
    .filter((s) => s.type !== "pulumi:pulumi:Stack" && !s.type.startsWith("pulumi:providers:"))
    .map((s) => `${s.type}::${s.urn.slice(s.urn.lastIndexOf("::") + 2)}`)
    .sort();

/** The inputs of the one resource of `type` (named `name`, where the program declares several). */
export function declaredInputs<T>(registrations: Registration[], type: string, name?: string): T {
  const found = registrations.filter((r) => r.type === type && (name === undefined || r.name === name));
  if (found.length !== 1) throw new Error(`the program declares ${found.length} ${type}${name ? ` named ${name}` : ""}, want 1`);
  return found[0].inputs as T;
}

/** The names of the program's resources of `type`, sorted. */
export const declaredNames = (registrations: Registration[], type: string) =>
  registrations.filter((r) => r.type === type).map((r) => r.name).sort();
