// What a stack should look like in the cluster, computed by the program's own modules from
// the stack's config: the config reader (defaults, namespace), the mode table, the labels
// and the commands the outputs print. A change to the program changes these with it.
import { getPodsCommand, labelSelector, logCommand, selectorLogCommand } from "../../components/commands";
import { StackConfig, readStackConfig } from "../../components/config";
import { workloadLabels } from "../../components/labels";
import { CLIENT_NAME, ModeSettings, PROXY_NAME, SERVER_NAME, ServiceShape, modeSettings, spreadsCalls } from "../../components/mode";
import { StackConfigValues, committedConfig } from "./stacks";

/** Who may reach a workload's pods: its NetworkPolicy's pods and the pods it admits. */
export interface PolicyShape {
  pods: Record<string, string>;
  from: Record<string, string>;
}

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
  /**
   * Each client's calls all answered by one server: pick_first straight to a Service's
   * virtual IP. Through a proxy a pick_first client still reaches every server.
   */
  pinned: boolean;
  /** Every Service of the stack by name, with the shape the mode table gives it. */
  services: Record<string, ServiceShape>;
  /** Every NetworkPolicy of the stack by name: the servers admit whoever dials them, the proxy or the clients. */
  policies: Record<string, PolicyShape>;
  /** Mode with a proxy: its pods' selector (for kubectl -l) and the output that follows their logs. */
  proxy?: { selector: string; logCommand: string };
}

export function expectedFor(stack: string, values: StackConfigValues): Expected {
  const config = readStackConfig({ get: (key) => values[key as keyof StackConfigValues] }, stack);
  const settings = modeSettings(config.mode, config.namespace, config.clusterDomain, config.maxConnectionAgeMs);
  const serverLabels = workloadLabels(SERVER_NAME, "server", config.namespace);
  const clientLabels = workloadLabels(CLIENT_NAME, "client", config.namespace);
  const proxyLabels = workloadLabels(PROXY_NAME, "proxy", config.namespace);
  const clientPods = Array.from({ length: config.clientReplicas }, (_, i) => `${CLIENT_NAME}-${i}`);
  const policy = (name: string) => `${name}-allow-clients`;
  return {
    config,
    settings,
    namespace: config.namespace,
    serverSelector: labelSelector(serverLabels.selector),
    clientSelector: labelSelector(clientLabels.selector),
    clientPods,
    logCommands: clientPods.map((pod) => logCommand(config.namespace, pod)),
    getPodsCommand: getPodsCommand(config.namespace, clientLabels.selector),
    pinned: !spreadsCalls(settings),
    services: { [SERVER_NAME]: settings.service, ...(settings.proxy ? { [PROXY_NAME]: settings.proxy.service } : {}) },
    policies: {
      [policy(SERVER_NAME)]: { pods: serverLabels.selector, from: settings.proxy ? proxyLabels.selector : clientLabels.selector },
      ...(settings.proxy ? { [policy(PROXY_NAME)]: { pods: proxyLabels.selector, from: clientLabels.selector } } : {}),
    },
    proxy: settings.proxy
      ? { selector: labelSelector(proxyLabels.selector), logCommand: selectorLogCommand(config.namespace, proxyLabels.selector, config.proxyReplicas) }
      : undefined,
  };
}

/**
 * What the committed Pulumi.<stack>.yaml alone makes of a stack, known before any cluster
 * is: which checks apply to a mode (one with a proxy gets the proxy's) is decided from it.
 */
export const committedExpected = (stack: string) => expectedFor(stack, committedConfig(stack));
