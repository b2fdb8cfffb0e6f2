#!/usr/bin/env bash
# A Kubernetes cluster on this machine for the e2e checks, brought up and kept up in the
# background until it is torn down:
#
#   bash e2e/cluster.sh up [--real-pods]   # tools (built or reused), then the cluster; returns when Ready
#   bash e2e/cluster.sh down               # stops every process by PID, keeps the logs in <cache>/last-run
#   bash e2e/cluster.sh status             # up or not, and the env file the checks read
#
# kwok (default): etcd, kube-apiserver, kube-controller-manager, kube-scheduler on 127.0.0.1
# and three kwok-simulated nodes (e2e/control-plane.sh, e2e/kwok.sh). --real-pods: one real
# node instead (containerd, kubelet, kube-proxy, CoreDNS: e2e/node.sh) running the echo image
# built from echo/Dockerfile and an HAProxy image from Debian's binary (e2e/images.sh), all inside the run's own network namespace,
# mount namespace and cgroup (e2e/sandbox.sh); needs root.
# The cluster's state, logs and env file are in $GRPC_LB_E2E_STATE (default <cache>/cluster);
# one cluster at a time. It tears itself down after GRPC_LB_E2E_HOLD_HOURS (default 12).
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
CACHE=${GRPC_LB_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/grpc-lb-e2e}
STATE=${GRPC_LB_E2E_STATE:-$CACHE/cluster}
LOGS=$STATE/logs
IMAGE=${GRPC_LB_E2E_IMAGE:-grpc-lb-echo:e2e}
# Mode l7's HAProxy (grpc-lb:proxyImage): built from Debian's binary for real pods; kwok pulls nothing.
PROXY_IMAGE=${GRPC_LB_E2E_PROXY_IMAGE:-grpc-lb-haproxy:e2e}
PAUSE_IMAGE=grpc-lb-e2e/pause:1
LOG_TAG=cluster
# shellcheck source=e2e/lib.sh
source "$HERE/lib.sh"

# A PID from the state dir is ours only while that process still runs this script or the
# sandbox (after a reboot or a 12 h hold the number may belong to someone else).
ours() { [ -n "${1:-}" ] && tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" | grep -Eq 'e2e/(cluster|sandbox)\.sh'; }
leader_alive() { [ -f "$STATE/leader.pid" ] && ours "$(cat "$STATE/leader.pid")"; }

# ---------------------------------------------------------------- up
up() {
  local node=kwok tools rc t
  case "${1:-}" in
    "") ;;
    --real-pods) node=real ;;
    *) die "usage: bash e2e/cluster.sh up [--real-pods]" ;;
  esac
  leader_alive && die "a cluster is already up ($(grep -s '^GRPC_LB_E2E_NODE=' "$STATE/cluster.env")): bash e2e/cluster.sh down first"
  for t in go node openssl; do command -v "$t" >/dev/null || die "$t is required"; done
  if [ $node = real ]; then
    [ "$(id -u)" = 0 ] || die "--real-pods needs root (namespaces, mounts, cgroups, containerd)"
    for t in containerd containerd-shim-runc-v2 runc ctr ip unshare nsenter; do
      command -v "$t" >/dev/null || die "--real-pods needs $t: apt-get install -y containerd runc iproute2 util-linux"
    done
    [ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] && [ -x /usr/lib/cni/portmap ] ||
      die "--real-pods needs the CNI plugins: apt-get install -y containernetworking-plugins"
  fi
  rm -rf "$STATE"
  mkdir -p "$LOGS"
  trap 'say "interrupted: tearing the cluster down"; down; exit 130' INT TERM

  tools=(etcd kubernetes pulumi pulumi-language-nodejs pulumi-resource-kubernetes kwok)
  [ $node = real ] && tools=(etcd kubernetes pulumi pulumi-language-nodejs pulumi-resource-kubernetes kubernetes-node coredns pause)
  say "tools: building or reusing ${tools[*]} (cache $CACHE; log $LOGS/build-tools.log)"
  t=$(now_ms)
  GRPC_LB_E2E_TOOLS_ENV=$STATE/tools.env bash "$HERE/build-tools.sh" "${tools[@]}" >"$LOGS/build-tools.log" 2>&1 ||
    { tail -n 20 "$LOGS/build-tools.log" >&2; die "e2e/build-tools.sh failed (see $LOGS/build-tools.log)"; }
  printf 'TOOLS_SECONDS=%s\n' "$(secs_since "$t")" >>"$STATE/tools.env"

  if [ $node = real ]; then
    # Built with the host's Docker engine; the sandbox has no network to the outside.
    # shellcheck disable=SC1091
    source "$STATE/tools.env"
    say "images: building $IMAGE (echo/Dockerfile), $PROXY_IMAGE (Debian's haproxy) and $PAUSE_IMAGE (log $LOGS/images.log)"
    t=$(now_ms)
    bash "$HERE/images.sh" "$PAUSE_DIR/pause" "$IMAGE" "$PROXY_IMAGE" "$PAUSE_IMAGE" "$STATE/images.tar" >"$LOGS/images.log" 2>&1 ||
      { tail -n 20 "$LOGS/images.log" >&2; die "e2e/images.sh failed (see $LOGS/images.log)"; }
    printf 'IMAGES_SECONDS=%s\n' "$(secs_since "$t")" >>"$STATE/tools.env"
  fi

  say "starting the cluster ($([ $node = real ] && echo "one real node" || echo "kwok nodes"); log $LOGS/cluster.log)"
  local hold=(bash "$HERE/cluster.sh" hold "$node")
  [ $node = real ] && hold=(bash "$HERE/sandbox.sh" "${hold[@]}")
  # A session of its own: Ctrl-C in this terminal later does not reach the cluster.
  setsid "${hold[@]}" </dev/null >"$LOGS/cluster.log" 2>&1 &
  echo $! >"$STATE/leader.pid"
  for _ in $(seq 1 480); do # 4 min: a real node imports its images first
    [ -f "$STATE/ready" ] && break
    leader_alive || { tail -n 25 "$LOGS/cluster.log" >&2; down; die "the cluster did not come up (see the log above)"; }
    sleep 0.5
  done
  [ -f "$STATE/ready" ] || { down; die "the cluster was not Ready within 4 min"; }
  trap - INT TERM
  say "up: $(grep '^CLUSTER_DESCRIPTION=' "$STATE/cluster.env" | cut -d= -f2-)"
  say "checks: npm run e2e:checks [-- --grep <name>]; kubectl: KUBECONFIG=$STATE/pki/kubeconfig" \
    "$(grep -s '^KUBECTL=' "$STATE/cluster.env" | cut -d= -f2-)$([ $node = real ] && echo " (inside: nsenter --net=/run/netns/$(grep '^GRPC_LB_E2E_NETNS=' "$STATE/cluster.env" | cut -d= -f2-))")"
  say "down:   npm run e2e:down"
}

# ---------------------------------------------------------------- hold (in the background)
hold() {
  local node=$1 t
  # shellcheck disable=SC1091
  source "$STATE/tools.env"
  # shellcheck source=e2e/control-plane.sh
  source "$HERE/control-plane.sh"
  if [ "$node" = real ]; then
    IMAGES_ARCHIVE=$STATE/images.tar
    # shellcheck source=e2e/node.sh
    source "$HERE/node.sh"
  else
    # shellcheck source=e2e/kwok.sh
    source "$HERE/kwok.sh"
  fi
  echo $$ >"$STATE/holder.pid"
  local sleeper=""
  teardown() {
    local rc=$?
    trap - EXIT INT TERM
    [ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null
    say "tearing down"
    stop_all
    [ "$node" = real ] && node_teardown
    rm -f "$STATE/ready" "$STATE/holder.pid"
    exit "$rc"
  }
  trap teardown EXIT INT TERM

  t=$(now_ms)
  start_control_plane
  if [ "$node" = real ]; then start_real_node; else start_kwok_nodes; fi
  kc wait --for=condition=Ready node --all --timeout=90s >>"$LOGS/nodes.log" 2>&1 &&
    kc wait --for=create serviceaccount/default -n default --timeout=60s >>"$LOGS/nodes.log" 2>&1 ||
    die "nodes or the default ServiceAccount not ready in time (see $LOGS/nodes.log)"

  # The Pulumi CLI and its language host side by side, as in a release; hard links, no copy.
  mkdir -p "$STATE/pulumi-cli/bin"
  for b in "$PULUMI_DIR/pulumi" "$PULUMI_LANGUAGE_NODEJS_DIR/pulumi-language-nodejs"; do
    ln "$b" "$STATE/pulumi-cli/bin/" 2>/dev/null || cp "$b" "$STATE/pulumi-cli/bin/"
  done
  local nodes
  if [ "$node" = real ]; then nodes="1 real node ($NODE_NAME: containerd, kubelet, kube-proxy, CoreDNS)"; else nodes="$KWOK_NODES kwok nodes"; fi
  {
    echo "GRPC_LB_E2E_NODE=$node"
    echo "GRPC_LB_E2E_STATE=$STATE"
    echo "GRPC_LB_E2E_IMAGE=$IMAGE"
    echo "GRPC_LB_E2E_PROXY_IMAGE=$PROXY_IMAGE"
    echo "KUBECONFIG=$KUBECONFIG"
    echo "KUBECTL=$KUBERNETES_DIR/kubectl"
    echo "PULUMI_ROOT=$STATE/pulumi-cli"
    echo "PULUMI_PROVIDER_DIR=$PULUMI_RESOURCE_KUBERNETES_DIR"
    echo "GRPC_LB_E2E_NETNS=${GRPC_LB_E2E_NETNS:-}"
    echo "GRPC_LB_E2E_CGROUP=${GRPC_LB_E2E_CGROUP:-}"
    echo "CLUSTER_DESCRIPTION=kube-apiserver $("$KUBERNETES_DIR/kube-apiserver" --version | awk '{print $2}') on 127.0.0.1:$API_PORT, $nodes"
    echo "CLUSTER_UP_SECONDS=$(secs_since "$t")"
    grep -E '_(VERSION|BUILD_SECONDS)=|^(TOOLS|IMAGES)_SECONDS=' "$STATE/tools.env"
  } >"$STATE/cluster.env"
  touch "$STATE/ready"
  say "ready in $(secs_since "$t") s"
  local until=$(($(date +%s) + ${GRPC_LB_E2E_HOLD_HOURS:-12} * 3600))
  while [ "$(date +%s)" -lt "$until" ]; do
    sleep 60 &
    sleeper=$!
    wait "$sleeper"
  done
  say "held for ${GRPC_LB_E2E_HOLD_HOURS:-12} h: tearing down by itself"
}

# ---------------------------------------------------------------- down
down() {
  [ -d "$STATE" ] || { say "no cluster (no $STATE)"; return 0; }
  local leader holder
  leader=$(cat "$STATE/leader.pid" 2>/dev/null)
  holder=$(cat "$STATE/holder.pid" 2>/dev/null)
  ours "$holder" && kill -TERM "$holder"
  if ours "$leader"; then
    for _ in $(seq 1 150); do ours "$leader" || break; sleep 0.2; done
    if ours "$leader"; then
      say "the cluster did not stop in 30 s: terminating its process group"
      kill -TERM -- "-$leader" 2>/dev/null
      for _ in $(seq 1 50); do kill -0 "$leader" 2>/dev/null || break; sleep 0.2; done
      kill -KILL -- "-$leader" 2>/dev/null
    fi
  fi
  rm -rf "$CACHE/last-run"
  cp -r "$LOGS" "$CACHE/last-run" 2>/dev/null
  if [ "${GRPC_LB_E2E_KEEP:-0}" = 1 ]; then say "kept $STATE"; else rm -rf "$STATE"; fi
  say "down; logs in $CACHE/last-run"
}

status() {
  if leader_alive && [ -f "$STATE/ready" ]; then
    say "up: $(grep '^CLUSTER_DESCRIPTION=' "$STATE/cluster.env" | cut -d= -f2-); env file $STATE/cluster.env"
  else
    say "not up"
    return 1
  fi
}

case "${1:-}" in
  up) shift; up "$@" ;;
  hold) shift; hold "$@" ;;
  down) down ;;
  status) status ;;
  *) echo "usage: bash e2e/cluster.sh up [--real-pods] | down | status" >&2; exit 2 ;;
esac
