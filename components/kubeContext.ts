// Which kubeconfig context Pulumi's Kubernetes provider will deploy to, read the
// way the provider and kubectl do: the stack's `kubernetes:context`, else the
// current-context of the first KUBECONFIG file that sets one (~/.kube/config
// without KUBECONFIG). Undefined when nothing says.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { load } from "js-yaml";

type Env = Record<string, string | undefined>;

function currentContextOf(file: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return undefined; // kubectl skips missing files in KUBECONFIG too
  }
  const config = load(text) as { "current-context"?: unknown } | null;
  const context = config?.["current-context"];
  return typeof context === "string" && context !== "" ? context : undefined;
}

export function kubeContext(configured: string | undefined, env: Env, home = os.homedir()): string | undefined {
  if (configured) return configured;
  const files = env.KUBECONFIG ? env.KUBECONFIG.split(path.delimiter).filter(Boolean) : [path.join(home, ".kube", "config")];
  for (const file of files) {
    const context = currentContextOf(file);
    if (context) return context;
  }
  return undefined;
}
