// What a stack should look like in the cluster, computed by the program's own modules from
// the stack's config: the config reader (defaults, namespace), the mode table, the labels
// and the commands the outputs print. A change to the program changes these with it.
import { getPodsCommand, labelSelector, logCommand } from "../../components/commands";
import { StackConfig, readStackConfig } from "../../components/config";
import { workloadLabels } from "../../components/labels";
import { CLIENT_NAME, ModeSettings, SERVER_NAME, modeSettings } from "../../components/mode";
import { StackConfigValues } from "./stacks";

export interface Expected {
  config: StackConfig;
  settings: ModeSettings;
  namespace: string;
  /** Label selectors as kubectl's -l takes them. */
  serverSelector: string;
  clientSelector: string;
  clientPods: string[];
  logCommands: string[];
  getPodsCommand: string;
}

export function expectedFor(stack: string, values: StackConfigValues): Expected {
  const config = readStackConfig({ get: (key) => values[key as keyof StackConfigValues] }, stack);
  const settings = modeSettings(config.mode, config.namespace, config.clusterDomain, config.maxConnectionAgeMs);
  const clientLabels = workloadLabels(CLIENT_NAME, "client", config.namespace);
  const clientPods = Array.from({ length: config.clientReplicas }, (_, i) => `${CLIENT_NAME}-${i}`);
  return {
    config,
    settings,
    namespace: config.namespace,
    serverSelector: labelSelector(workloadLabels(SERVER_NAME, "server", config.namespace).selector),
    clientSelector: labelSelector(clientLabels.selector),
    clientPods,
    logCommands: clientPods.map((pod) => logCommand(config.namespace, pod)),
    getPodsCommand: getPodsCommand(config.namespace, clientLabels.selector),
  };
}
