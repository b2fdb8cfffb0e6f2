// What the program declares for a config, from the program itself run under Pulumi's mocks
// in this process (the same runner the unit tests use): the resources `up` must create,
// and the inputs the API server must then hold.
import { Registration, allRpcsDone, mockRun } from "../../test/components/support/mockRun";
import { Step } from "./stacks";
import { StackConfigValues } from "./stacks";

export async function declaredResources(stack: string, values: StackConfigValues): Promise<Registration[]> {
  const run = await mockRun(values as Record<string, string>, stack);
  await allRpcsDone();
  return run.recorder.registrations;
}

/** "type::name" of the program's resources, sorted. */
export const declaredKeys = (registrations: Registration[]) => registrations.map((r) => `${r.type}::${r.name}`).sort();

/** "type::name" of the engine's steps for the program's resources (not the stack, not providers), sorted. */
export const stepKeys = (steps: Step[]) =>
  steps
    .filter((s) => s.type !== "pulumi:pulumi:Stack" && !s.type.startsWith("pulumi:providers:"))
    .map((s) => `${s.type}::${s.urn.slice(s.urn.lastIndexOf("::") + 2)}`)
    .sort();

export function declaredInputs<T>(registrations: Registration[], type: string): T {
  const found = registrations.filter((r) => r.type === type);
  if (found.length !== 1) throw new Error(`the program declares ${found.length} ${type}, want 1`);
  return found[0].inputs as T;
}
