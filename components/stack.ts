// The whole program for one validated config: namespace, image, servers, the l7
// proxy where the mode has one, clients, and the stack outputs. index.ts calls it
// once; tests call it once per config.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { getPodsCommand, logCommand, selectorLogCommand } from "./commands";
import { StackConfig } from "./config";
import { EchoClients } from "./echoClients";
import { EchoImage } from "./echoImage";
import { EchoProxy } from "./echoProxy";
import { EchoServers } from "./echoServers";
import { workloadLabels } from "./labels";
import { CLIENT_NAME, LbPolicy, Mode, PROXY_NAME, SERVER_NAME, modeSettings } from "./mode";
import { restrictedNamespace } from "./namespace";

export interface EchoStackOutputs {
  mode: pulumi.Output<Mode>;
  namespace: pulumi.Output<string>;
  target: pulumi.Output<string>;
  lbPolicy: pulumi.Output<LbPolicy>;
  image: pulumi.Output<string>;
  clientPods: pulumi.Output<string[]>;
  logCommands: pulumi.Output<string[]>;
  getPodsCommand: pulumi.Output<string>;
  /** Mode l7: follows every proxy pod's log (servers coming and going). */
  proxyLogCommand?: pulumi.Output<string>;
}

export interface EchoStack {
  namespace: k8s.core.v1.Namespace;
  image: EchoImage;
  servers: EchoServers;
  proxy?: EchoProxy;
  clients: EchoClients;
  outputs: EchoStackOutputs;
}

export function deployEchoStack(config: StackConfig): EchoStack {
  const settings = modeSettings(config.mode, config.namespace, config.clusterDomain, config.maxConnectionAgeMs);
  const serverLabels = workloadLabels(SERVER_NAME, "server", config.namespace);
  const clientLabels = workloadLabels(CLIENT_NAME, "client", config.namespace);
  const proxyLabels = workloadLabels(PROXY_NAME, "proxy", config.namespace);

  const namespace = restrictedNamespace(config.namespace);
  // Everything below uses the Namespace's output, so it is created first and deleted last.
  const ns = namespace.metadata.name;
  const image = new EchoImage("echo", { source: config.image });
  const servers = new EchoServers(SERVER_NAME, {
    namespace: ns,
    image: image.reference,
    imagePullPolicy: image.pullPolicy,
    replicas: config.serverReplicas,
    settings,
    labels: serverLabels,
    // Behind a proxy only the proxy calls the servers.
    clientSelector: settings.proxy ? proxyLabels.selector : clientLabels.selector,
  });
  const proxy =
    settings.proxy &&
    new EchoProxy(
      PROXY_NAME,
      {
        namespace: ns,
        image: config.proxyImage,
        replicas: config.proxyReplicas,
        settings: settings.proxy,
        serverReplicas: config.serverReplicas,
        labels: proxyLabels,
        clientSelector: clientLabels.selector,
        servers,
      },
    );
  const clients = new EchoClients(CLIENT_NAME, {
    namespace: ns,
    image: image.reference,
    imagePullPolicy: image.pullPolicy,
    replicas: config.clientReplicas,
    concurrency: config.clientConcurrency,
    logFormat: config.clientLogFormat,
    settings,
    labels: clientLabels,
    // The clients start once what they dial is ready: the proxy, or else the servers.
    upstream: proxy ?? servers,
  });

  return {
    namespace,
    image,
    servers,
    proxy,
    clients,
    outputs: {
      mode: pulumi.output(config.mode),
      namespace: ns,
      target: pulumi.output(settings.target),
      lbPolicy: pulumi.output(settings.lbPolicy),
      image: image.reference,
      clientPods: clients.podNames,
      logCommands: pulumi
        .all([ns, clients.podNames])
        .apply(([name, pods]) => pods.map((pod) => logCommand(name, pod))),
      getPodsCommand: ns.apply((name) => getPodsCommand(name, clientLabels.selector)),
      ...(proxy ? { proxyLogCommand: ns.apply((name) => selectorLogCommand(name, proxyLabels.selector, config.proxyReplicas)) } : {}),
    },
  };
}
