# shellcheck shell=bash
# A real Kubernetes node for `npm run e2e:real-pods`, sourced by e2e/cluster.sh inside
# e2e/sandbox.sh: containerd (Debian's, CRI with cgroupfs) with the run's images imported,
# a CNI bridge (Debian's plugins), the kubelet, kube-proxy (iptables, in the sandbox's
# network namespace) and CoreDNS as the cluster DNS. Everything keeps its state under
# $STATE/node and is started with e2e/lib.sh's start_bg, so the teardown stops it by PID.
#
# Uses: STATE, LOGS, KUBECONFIG, IMAGES_ARCHIVE, PAUSE_IMAGE, kc and e2e/lib.sh,
# KUBERNETES_NODE_DIR and COREDNS_DIR (tools.env), GRPC_LB_E2E_NODE_IP/_CGROUP (the sandbox).

NODE_NAME=node-0
NODE_IP=${GRPC_LB_E2E_NODE_IP:?run inside e2e/sandbox.sh}
POD_CIDR=10.244.0.0/24
CLUSTER_DNS=$NODE_IP # CoreDNS runs on the node itself, reached through the pods' gateway
CONTAINERD_SOCK=$STATE/node/containerd/containerd.sock

node_ctr() { ctr --address "$CONTAINERD_SOCK" --namespace k8s.io "$@"; }

write_node_configs() {
  local d=$STATE/node
  mkdir -p "$d/containerd" "$d/cni/net.d" "$d/cni/ipam" "$d/kubelet" "$d/pod-logs"

  cat >"$d/containerd/config.toml" <<EOF
version = 2
root = "$d/containerd/root"
state = "$d/containerd/state"
[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = "$CONTAINERD_SOCK.ttrpc"
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  # Pod sandboxes ask for oom_score_adj -998; lowering it needs CAP_SYS_RESOURCE, which
  # root may not have (it does not on the machines this was built on). Cap it at ours.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$d/cni/net.d"
[plugins."io.containerd.internal.v1.opt"]
  path = "$d/containerd/opt"
EOF

  # No masquerading here: kube-proxy masquerades every Service connection (masqueradeAll),
  # which is what makes pod -> ClusterIP -> pod on one bridge work without br_netfilter.
  cat >"$d/cni/net.d/10-grpclb-bridge.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "grpclb-e2e",
  "plugins": [
    {
      "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": { "type": "host-local", "dataDir": "$d/cni/ipam",
                "ranges": [[{ "subnet": "$POD_CIDR" }]], "routes": [{ "dst": "0.0.0.0/0" }] }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF

  # Kernel tunables: the kubelet would set vm.overcommit_memory, kernel.panic and
  # kernel.panic_on_oops on the whole machine; protectKernelDefaults makes it only check,
  # and the sandbox's mount namespace shows it the values it wants (see start_real_node).
  cat >"$d/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $STATE/pki/ca.crt}
authorization: {mode: Webhook}
cgroupDriver: cgroupfs
cgroupRoot: /$GRPC_LB_E2E_CGROUP
cgroupsPerQOS: true
failCgroupV1: false
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
clusterDNS: [$CLUSTER_DNS]
clusterDomain: cluster.local
resolvConf: ""
podLogsDirectory: $d/pod-logs
failSwapOn: false
protectKernelDefaults: true
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 50Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
maxPods: 50
staticPodPath: ""
EOF

  cat >"$d/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $KUBECONFIG}
hostnameOverride: $NODE_NAME
mode: iptables
clusterCIDR: $POD_CIDR
bindAddress: $NODE_IP
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
iptables: {masqueradeAll: true}
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF

  cat >"$d/Corefile" <<EOF
cluster.local:53 {
  bind $CLUSTER_DNS
  errors
  kubernetes cluster.local {
    kubeconfig $KUBECONFIG
  }
}
EOF
}

# The values the kubelet insists on, shown to it (and only to it, and to the processes of
# this mount namespace) by bind-mounting small files over the /proc/sys entries.
fake_kernel_tunables() {
  local d=$STATE/node/sysctl name value
  mkdir -p "$d"
  while read -r name value; do
    printf '%s\n' "$value" >"$d/${name//\//.}"
    mount --bind "$d/${name//\//.}" "/proc/sys/$name" || return 1
  done <<'EOF'
vm/overcommit_memory 1
vm/panic_on_oom 0
kernel/panic 10
kernel/panic_on_oops 1
kernel/keys/root_maxkeys 1000000
kernel/keys/root_maxbytes 25000000
EOF
}

start_real_node() {
  write_node_configs
  fake_kernel_tunables || die "node: could not bind-mount the kernel tunables over /proc/sys"

  start_bg containerd containerd --config "$STATE/node/containerd/config.toml"
  local containerd_pid=${PIDS[-1]}
  wait_until containerd 30 node_ctr version
  alive_or_die containerd "$containerd_pid"
  node_ctr images import --all-platforms "$IMAGES_ARCHIVE" >"$LOGS/images-import.log" 2>&1 ||
    die "node: ctr images import failed (see $LOGS/images-import.log)"

  start_bg coredns "$COREDNS_DIR/coredns" -conf "$STATE/node/Corefile"
  start_bg kubelet "$KUBERNETES_NODE_DIR/kubelet" \
    --config "$STATE/node/kubelet/config.yaml" --kubeconfig "$KUBECONFIG" \
    --root-dir "$STATE/node/kubelet/root" --cert-dir "$STATE/node/kubelet/pki" \
    --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" --v 1
  local kubelet_pid=${PIDS[-1]}
  start_bg kube-proxy "$KUBERNETES_NODE_DIR/kube-proxy" --config "$STATE/node/kube-proxy.yaml" --v 1

  local i
  for i in $(seq 1 120); do
    alive_or_die kubelet "$kubelet_pid"
    kc get node "$NODE_NAME" >/dev/null 2>&1 && break
    sleep 0.5
  done
  # cluster.sh then waits for it to turn Ready, as for kwok nodes.
}

# After the teardown stopped the node's processes: what they leave behind in the sandbox,
# so that the state dir can be removed. Pods outlive the kubelet and containerd (each
# container runs under its own shim), and their rootfs and volume mounts sit under
# $STATE; e2e/sandbox.sh would kill the processes anyway, but only after cluster.sh is gone.
node_teardown() {
  local pids i
  for i in $(seq 1 10); do
    pids=$(find "/sys/fs/cgroup/pids/$GRPC_LB_E2E_CGROUP/kubepods" -name cgroup.procs -exec cat {} + 2>/dev/null)
    pids+=" $(pgrep -f -- "-address $CONTAINERD_SOCK" || true)"
    [ -z "${pids// /}" ] && break
    # shellcheck disable=SC2086 # one PID per word
    kill -KILL $pids 2>/dev/null
    sleep 0.5
  done
  awk -v p="$STATE/" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r |
    while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
}
