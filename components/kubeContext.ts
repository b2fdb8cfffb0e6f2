// Which kubeconfig context Pulumi's Kubernetes provider will deploy to, read the
// way the provider and kubectl do: the stack's `kubernetes:context`; else the
// current-context of the stack's `kubernetes:kubeconfig` (a path or the YAML
// itself); else of the first KUBECONFIG file that sets one (~/.kube/config
// without KUBECONFIG). Undefined when nothing says or a file cannot be parsed:
// the provider will report that itself.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { load } from "js-yaml";
import type { Env } from "../echo/env";

function currentContextIn(text: string): string | undefined {
  try {
    const config = load(text) as { "current-context"?: unknown } | null;
    const context = config?.["current-context"];
    return typeof context === "string" && context !== "" ? context : undefined;
  } catch {
    return undefined;
  }
}

function currentContextOf(file: string): string | undefined {
  try {
    return currentContextIn(fs.readFileSync(file, "utf8"));
  } catch {
    return undefined; // kubectl skips missing files in KUBECONFIG too
  }
}

/** `stack`: the stack's kubernetes:context and kubernetes:kubeconfig settings. */
export function kubeContext(stack: { context?: string; kubeconfig?: string }, env: Env, home = os.homedir()): string | undefined {
  if (stack.context) return stack.context;
  if (stack.kubeconfig) {
    return fs.existsSync(stack.kubeconfig) ? currentContextOf(stack.kubeconfig) : currentContextIn(stack.kubeconfig);
  }
  const files = env.KUBECONFIG ? env.KUBECONFIG.split(path.delimiter).filter(Boolean) : [path.join(home, ".kube", "config")];
  for (const file of files) {
    const context = currentContextOf(file);
    if (context) return context;
  }
  return undefined;
}
