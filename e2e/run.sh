#!/usr/bin/env bash
# npm run e2e: `pulumi preview/up/destroy` of the l4 and clientside stacks against a real
# Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler)
# brought up on loopback, with kwok simulating the nodes and pods (no containers run).
# With --real-pods the node is real instead: containerd, a CNI bridge, the kubelet,
# kube-proxy and CoreDNS in a network namespace, mount namespace and cgroup of the run's
# own (e2e/sandbox.sh), running the echo image built from echo/Dockerfile; the client
# pods' logs (kubectl logs) then show pinned vs spread for real.
# Tools are built from the Go module proxy on first use (e2e/build-tools.sh) and reused.
#
# Environment:
#   GRPC_LB_E2E_CACHE   tool cache (default ${XDG_CACHE_HOME:-$HOME/.cache}/grpc-lb-e2e)
#   GRPC_LB_E2E_IMAGE   image reference for grpc-lb:image (default grpc-lb-echo:e2e;
#                       kwok pods never pull it; with --real-pods it is built locally)
#   GRPC_LB_E2E_KEEP    1: keep the temp dir (certs, state, component logs) for debugging
# Logs of the last run: <cache>/last-run/ (kept after the run; the temp dir is not).
#
#   bash e2e/run.sh                  # everything, kwok node
#   bash e2e/run.sh --real-pods      # everything, real node and pods (root, Docker, containerd)
#   ... --hold                       # once both stacks are up and checked, print kubectl commands
#                                    # to look around and wait for Enter (at most 1 h)
#   bash e2e/run.sh --cluster-only   # only etcd/kubernetes/kwok: bring the cluster up, check, tear down
set -uo pipefail

MODE=full
NODE=kwok
HOLD=0
for arg in "$@"; do
  case "$arg" in
    --real-pods) NODE=real ;;
    --cluster-only) MODE=cluster ;;
    --hold) HOLD=1 ;;
    *) echo "usage: bash e2e/run.sh [--real-pods] [--hold] | --cluster-only" >&2; exit 2 ;;
  esac
done
[ "$MODE" = cluster ] && [ "$NODE" = real ] && { echo "e2e: --cluster-only runs kwok; drop --real-pods" >&2; exit 2; }
# Set by this script when it runs itself again inside e2e/sandbox.sh (real pods).
IN_SANDBOX=${GRPC_LB_E2E_IN_SANDBOX:-}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${GRPC_LB_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/grpc-lb-e2e}
IMAGE=${GRPC_LB_E2E_IMAGE:-grpc-lb-echo:e2e}
PAUSE_IMAGE=grpc-lb-e2e/pause:1
STACKS=(l4 clientside)
RUN_START=$(date +%s)

PASSED=0
FAILED=0
FAILURES=()
TIMINGS=()
PIDS=()
PID_NAMES=()
PORTS=()
CUR_PGID=""
WORK=""
LOGDIR="$CACHE/last-run"

say() { printf '[e2e] %s\n' "$*"; }
pass() { PASSED=$((PASSED + 1)); printf 'PASS %s: %s\n' "$1" "$2"; }
fail() { FAILED=$((FAILED + 1)); FAILURES+=("$1"); printf 'FAIL %s: %s\n' "$1" "$2"; }
now_ms() { date +%s%3N; }
secs_since() { local d=$(( $(now_ms) - $1 )); printf '%d.%01d' $((d / 1000)) $(((d % 1000) / 100)); }
timing() { TIMINGS+=("$(printf '%-34s %6ss' "$1" "$2")"); }

# ---------------------------------------------------------------- teardown
stop_pid() { # <pid> <name>: TERM, bounded wait, then KILL
  local pid=$1 name=$2 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  say "$name (pid $pid) did not stop in 10s; killing"
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}

CLEANED=0
cleanup() {
  [ "$CLEANED" = 1 ] && return
  CLEANED=1
  local i
  # shellcheck disable=SC2086 # a server frozen by check_frozen_server (e2e/faults.sh)
  [ -n "${FROZEN_PIDS:-}" ] && kill -CONT $FROZEN_PIDS 2>/dev/null
  if [ -n "$CUR_PGID" ] && kill -0 "$CUR_PGID" 2>/dev/null; then
    say "stopping the running pulumi command (process group $CUR_PGID)"
    kill -TERM -- "-$CUR_PGID" 2>/dev/null
    for i in $(seq 1 50); do kill -0 -- "-$CUR_PGID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$CUR_PGID" 2>/dev/null
  fi
  # Stop in reverse start order: the node (kwok, or kube-proxy, kubelet, CoreDNS, containerd),
  # scheduler, controller-manager, apiserver, etcd.
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[$i]}" "${PID_NAMES[$i]}"; done
  if [ "$NODE" = real ] && declare -F node_teardown >/dev/null; then node_teardown; fi
  [ -n "${IMAGES_DIR:-}" ] && rm -rf "$IMAGES_DIR"
  [ -n "${TOOLS_ENV:-}" ] && rm -f "$TOOLS_ENV"
  if [ -n "$WORK" ] && [ -d "$WORK" ]; then
    if [ -d "$WORK/logs" ]; then cp -r "$WORK/logs/." "$LOGDIR/" 2>/dev/null; fi
    if [ "${GRPC_LB_E2E_KEEP:-0}" = 1 ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
  fi
  local open_ports=() p
  for p in "${PORTS[@]}"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then open_ports+=("$p"); fi
  done
  if [ ${#open_ports[@]} -gt 0 ]; then say "WARNING: still listening on 127.0.0.1 ports: ${open_ports[*]}"; fi
}
on_signal() {
  say "interrupted: tearing down"
  cleanup
  fail "interrupted" "the run was stopped by a signal; everything it started is stopped"
  echo "$PASSED passed, $FAILED failed"
  exit 130
}
trap cleanup EXIT
trap on_signal INT TERM HUP

start_bg() { # <name> <cmd...>: start a component, log to $WORK/logs/<name>.log
  local name=$1; shift
  "$@" >"$WORK/logs/$name.log" 2>&1 &
  PIDS+=($!)
  PID_NAMES+=("$name")
}

alive_or_die() { # <name> <pid>
  if ! kill -0 "$2" 2>/dev/null; then
    fail "cluster: $1" "$1 exited early; last lines of its log:"
    tail -n 20 "$WORK/logs/$1.log"
    finish
  fi
}

# ---------------------------------------------------------------- report
ver() { "$@" 2>/dev/null | head -n1; }
finish() { # report, teardown, totals; exits
{
  echo
  echo "== e2e report"
  echo "tools (cache $CACHE):"
  if [ "$MODE" = full ]; then
  echo "  pulumi                      $(ver "$PULUMI" version)   (cold build ${PULUMI_BUILD_SECONDS}s)"
  echo "  pulumi-language-nodejs      $PULUMI_LANGUAGE_NODEJS_VERSION (minimal host, see e2e/tools/pulumi-language-nodejs)   (cold build ${PULUMI_LANGUAGE_NODEJS_BUILD_SECONDS}s)"
  echo "  pulumi-resource-kubernetes  $PULUMI_RESOURCE_KUBERNETES_VERSION (@pulumi/kubernetes SDK $(node -p 'require(process.argv[1]).version' "$ROOT/node_modules/@pulumi/kubernetes/package.json"))   (cold build ${PULUMI_RESOURCE_KUBERNETES_BUILD_SECONDS}s)"
  fi
  echo "  kubernetes                  $(ver "$KUBERNETES_DIR/kube-apiserver" --version) (apiserver, controller-manager, scheduler, $(ver "$KUBECTL" version --client | tr -d '\n'))   (cold build ${KUBERNETES_BUILD_SECONDS}s)"
  if [ "$NODE" = real ]; then
  echo "  kubelet, kube-proxy         $(ver "$KUBERNETES_NODE_DIR/kubelet" --version)   (cold build ${KUBERNETES_NODE_BUILD_SECONDS}s)"
  echo "  coredns                     $COREDNS_VERSION   (cold build ${COREDNS_BUILD_SECONDS}s)"
  echo "  pause                       e2e/tools/pause   (cold build ${PAUSE_BUILD_SECONDS}s)"
  echo "  containerd, runc            $(containerd --version | awk '{print $3}'), $(runc --version | awk 'NR==1{print $3}') (Debian)"
  else
  echo "  kwok                        $KWOK_VERSION   (cold build ${KWOK_BUILD_SECONDS}s)"
  fi
  echo "  etcd                        $(ver "$ETCD_DIR/etcd" --version)   (cold build ${ETCD_BUILD_SECONDS}s)"
  echo "  node $(node --version), $(go version | awk '{print $3}')"
  echo "timings:"
  printf '  %s\n' "${TIMINGS[@]}"
  echo "  total run                          $(( $(date +%s) - RUN_START ))s"
  if [ "$NODE" = real ]; then
  echo "real: one node (kubelet, containerd + runc, CNI bridge, kube-proxy iptables, CoreDNS) in a"
  echo "  network namespace of the run; the echo image built from echo/Dockerfile runs in every pod;"
  echo "  probes, DNS, Services and gRPC traffic are real. Not real: one node only (no cross-node"
  echo "  traffic), the bridge CNI does not enforce NetworkPolicy, images are imported, not pulled."
  else
  echo "simulated: kwok nodes and pods (pods are scheduled, get an IP and turn Ready; no container"
  echo "  runs, no image is pulled, probes are not executed, no traffic flows). Real: etcd, the API"
  echo "  server's validation, admission (Pod Security restricted), controllers (Deployment,"
  echo "  StatefulSet, EndpointSlice, namespace deletion), scheduler, Pulumi CLI, engine, provider."
  fi
  echo "logs: $LOGDIR"
  if [ ${#FAILURES[@]} -gt 0 ]; then echo "failed checks:"; printf '  - %s\n' "${FAILURES[@]}"; fi
} | tee "$LOGDIR/report.txt"
cleanup
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
exit
}

# ---------------------------------------------------------------- preflight
for t in go node openssl; do
  command -v "$t" >/dev/null || { echo "e2e: $t is required" >&2; exit 1; }
done
[ -d "$ROOT/node_modules/@pulumi/pulumi" ] || { echo "e2e: run npm ci at the repository root first" >&2; exit 1; }
for f in Pulumi.yaml index.ts; do
  [ -f "$ROOT/$f" ] || { echo "e2e: $f not found at the repository root" >&2; exit 1; }
done
if [ "$NODE" = real ] && [ -z "$IN_SANDBOX" ]; then
  [ "$(id -u)" = 0 ] || { echo "e2e --real-pods: needs root (namespaces, mounts, cgroups, containerd)" >&2; exit 1; }
  for t in containerd containerd-shim-runc-v2 runc ctr ip unshare; do
    command -v "$t" >/dev/null || { echo "e2e --real-pods: $t is required: apt-get install -y containerd runc iproute2" >&2; exit 1; }
  done
  [ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] && [ -x /usr/lib/cni/portmap ] ||
    { echo "e2e --real-pods: CNI plugins are required: apt-get install -y containernetworking-plugins" >&2; exit 1; }
fi
mkdir -p "$CACHE"
# Inside the sandbox the outer run's log dir (with its build log) is kept.
[ -n "$IN_SANDBOX" ] || { rm -rf "$LOGDIR"; mkdir -p "$LOGDIR"; }

# ---------------------------------------------------------------- 1. tools
if [ -n "$IN_SANDBOX" ]; then
  # Built (and timed) by the outer run, which also built the images.
  source "$GRPC_LB_E2E_TOOLS_ENV_FILE"
  TOOLS_SECS=$GRPC_LB_E2E_TOOLS_SECS
  timing "tools (build or reuse)" "$TOOLS_SECS"
  timing "images (docker build, save)" "$GRPC_LB_E2E_IMAGES_SECS"
else
  say "tools: building or reusing (cache: $CACHE)"
  t=$(now_ms)
  TOOLS=()
  [ "$MODE" = cluster ] && TOOLS=(etcd kubernetes kwok)
  [ "$NODE" = real ] && TOOLS=(etcd kubernetes pulumi pulumi-language-nodejs pulumi-resource-kubernetes kubernetes-node coredns pause)
  TOOLS_ENV=$(mktemp "${TMPDIR:-/tmp}/grpc-lb-e2e-tools.XXXXXX")
  GRPC_LB_E2E_TOOLS_ENV=$TOOLS_ENV bash "$ROOT/e2e/build-tools.sh" "${TOOLS[@]}" 2>&1 | tee "$LOGDIR/build-tools.log"
  rc=${PIPESTATUS[0]}
  if [ "$rc" != 0 ] || [ ! -s "$TOOLS_ENV" ]; then
    rm -f "$TOOLS_ENV"
    fail "tools" "build-tools.sh failed (see $LOGDIR/build-tools.log)"
    echo "$PASSED passed, $FAILED failed"; exit 1
  fi
  TOOLS_SECS=$(secs_since "$t")
  # shellcheck disable=SC1090
  source "$TOOLS_ENV"
fi
KUBECTL="$KUBERNETES_DIR/kubectl"
PULUMI="${PULUMI_DIR:-}/pulumi"

if [ "$NODE" = real ] && [ -z "$IN_SANDBOX" ]; then
  # The images are built here, with the host's Docker engine; everything else runs again
  # in the sandbox, which has no network to the outside.
  IMAGES_DIR=$(mktemp -d "${TMPDIR:-/tmp}/grpc-lb-e2e-images.XXXXXX")
  t=$(now_ms)
  say "images: building $IMAGE (echo/Dockerfile) and $PAUSE_IMAGE"
  if ! bash "$ROOT/e2e/images.sh" "$PAUSE_DIR/pause" "$IMAGE" "$PAUSE_IMAGE" "$IMAGES_DIR/images.tar" >"$LOGDIR/images.log" 2>&1; then
    tail -n 20 "$LOGDIR/images.log"
    rm -rf "$IMAGES_DIR" "$TOOLS_ENV"
    fail "images" "e2e/images.sh failed (see $LOGDIR/images.log)"
    echo "$PASSED passed, $FAILED failed"; exit 1
  fi
  IMAGES_SECS=$(secs_since "$t")
  say "images ready in ${IMAGES_SECS}s; entering the sandbox"
  GRPC_LB_E2E_IN_SANDBOX=1 GRPC_LB_E2E_TOOLS_ENV_FILE=$TOOLS_ENV GRPC_LB_E2E_TOOLS_SECS=$TOOLS_SECS \
    GRPC_LB_E2E_IMAGES=$IMAGES_DIR/images.tar GRPC_LB_E2E_IMAGES_SECS=$IMAGES_SECS \
    bash "$ROOT/e2e/sandbox.sh" bash "$ROOT/e2e/run.sh" "$@"
  rc=$?
  rm -rf "$IMAGES_DIR" "$TOOLS_ENV"
  exit $rc
fi
[ -z "$IN_SANDBOX" ] && { rm -f "$TOOLS_ENV"; timing "tools (build or reuse)" "$TOOLS_SECS"; }
pass "tools" "all tools ready in ${TOOLS_SECS}s"

# ---------------------------------------------------------------- 2. cluster
WORK=$(mktemp -d "${TMPDIR:-/tmp}/grpc-lb-e2e.XXXXXX")
mkdir -p "$WORK/logs" "$WORK/pki" "$WORK/etcd"
say "work dir $WORK"

# Free loopback ports, chosen by the kernel.
read -r -a PORTS < <(node -e '
  const net = require("net"); const out = []; let n = 0;
  for (let i = 0; i < 5; i++) { const s = net.createServer(); s.listen(0, "127.0.0.1", () => {
    out[i] = s.address().port; if (++n === 5) { console.log(out.join(" ")); process.exit(0); } }); }')
ETCD_PORT=${PORTS[0]} ETCD_PEER_PORT=${PORTS[1]} API_PORT=${PORTS[2]} KCM_PORT=${PORTS[3]} SCHED_PORT=${PORTS[4]}

t=$(now_ms)
# Certificates (openssl, local CA): apiserver serving cert for 127.0.0.1 and the
# in-cluster names, an admin client cert (system:masters), service-account keys.
pki=$WORK/pki
{
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=grpc-lb-e2e-ca" \
    -keyout "$pki/ca.key" -out "$pki/ca.crt"
  cat >"$pki/apiserver.ext" <<EOF
subjectAltName = IP:127.0.0.1, IP:10.96.0.1, DNS:localhost, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, DNS:kubernetes.default.svc.cluster.local
extendedKeyUsage = serverAuth
EOF
  openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" -keyout "$pki/apiserver.key" -out "$pki/apiserver.csr"
  openssl x509 -req -in "$pki/apiserver.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 1 -extfile "$pki/apiserver.ext" -out "$pki/apiserver.crt"
  printf 'extendedKeyUsage = clientAuth\n' >"$pki/client.ext"
  openssl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=grpc-lb-e2e-admin" -keyout "$pki/admin.key" -out "$pki/admin.csr"
  openssl x509 -req -in "$pki/admin.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 1 -extfile "$pki/client.ext" -out "$pki/admin.crt"
  openssl genrsa -out "$pki/sa.key" 2048
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub"
} >"$WORK/logs/openssl.log" 2>&1 || { fail "cluster: certificates" "openssl failed (see $LOGDIR/openssl.log)"; finish; }

export KUBECONFIG=$WORK/kubeconfig
cat >"$KUBECONFIG" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority: $pki/ca.crt
users:
- name: admin
  user:
    client-certificate: $pki/admin.crt
    client-key: $pki/admin.key
contexts:
- name: e2e
  context: {cluster: e2e, user: admin}
current-context: e2e
EOF
k() { "$KUBECTL" --request-timeout=20s "$@"; }
kwait() { "$KUBECTL" wait "$@"; } # bounded by its --timeout

start_bg etcd "$ETCD_DIR/etcd" --name e2e --data-dir "$WORK/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "e2e=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync
ETCD_PID=${PIDS[-1]}

start_bg kube-apiserver "$KUBERNETES_DIR/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$API_PORT" \
  --endpoint-reconciler-type none \
  --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --client-ca-file "$pki/ca.crt" \
  --kubelet-client-certificate "$pki/admin.crt" --kubelet-client-key "$pki/admin.key" \
  --kubelet-preferred-address-types InternalIP \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --service-cluster-ip-range 10.96.0.0/16 \
  --authorization-mode Node,RBAC \
  --enable-admission-plugins NamespaceLifecycle,LimitRanger,ServiceAccount,PodSecurity,DefaultTolerationSeconds,ResourceQuota \
  --allow-privileged=false --profiling=false
API_PID=${PIDS[-1]}

ok=0
for _ in $(seq 1 120); do
  alive_or_die etcd "$ETCD_PID"; alive_or_die kube-apiserver "$API_PID"
  if [ "$(k get --raw /readyz 2>/dev/null)" = ok ]; then ok=1; break; fi
  sleep 0.5
done
[ $ok = 1 ] || { fail "cluster: apiserver" "not ready after 60s (see $LOGDIR/kube-apiserver.log)"; finish; }

start_bg kube-controller-manager "$KUBERNETES_DIR/kube-controller-manager" \
  --kubeconfig "$KUBECONFIG" --authentication-kubeconfig "$KUBECONFIG" --authorization-kubeconfig "$KUBECONFIG" \
  --bind-address 127.0.0.1 --secure-port "$KCM_PORT" --cert-dir "$WORK/kcm-certs" \
  --leader-elect=false --use-service-account-credentials=true \
  --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
  --service-cluster-ip-range 10.96.0.0/16 --profiling=false
start_bg kube-scheduler "$KUBERNETES_DIR/kube-scheduler" \
  --kubeconfig "$KUBECONFIG" --authentication-kubeconfig "$KUBECONFIG" --authorization-kubeconfig "$KUBECONFIG" \
  --bind-address 127.0.0.1 --secure-port "$SCHED_PORT" --cert-dir "$WORK/sched-certs" \
  --leader-elect=false --profiling=false
if [ "$NODE" = real ]; then
  IMAGES_ARCHIVE=$GRPC_LB_E2E_IMAGES
  # shellcheck source=e2e/node.sh
  source "$ROOT/e2e/node.sh"
  NODES=1
  start_real_node
  NODE_DESC="1 real node ($NODE_NAME: containerd, kubelet, kube-proxy, CoreDNS)"
else
  # kwok: no --server-address, so it listens on nothing; it manages only nodes annotated as fake.
  start_bg kwok "$KWOK_DIR/kwok" --kubeconfig "$KUBECONFIG" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --cidr 10.0.0.1/24 --node-ip 10.0.0.254 --node-lease-duration-seconds 40
  NODES=3
  for i in $(seq 0 $((NODES - 1))); do
    cat <<EOF
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
  labels: {kubernetes.io/hostname: kwok-node-$i, kubernetes.io/os: linux, kubernetes.io/arch: amd64, type: kwok}
status:
  allocatable: {cpu: "16", memory: 64Gi, pods: "110"}
  capacity: {cpu: "16", memory: 64Gi, pods: "110"}
---
EOF
  done >"$WORK/nodes.yaml"
  k apply -f "$WORK/nodes.yaml" >"$WORK/logs/nodes.log" 2>&1 || { fail "cluster: nodes" "kubectl apply of kwok nodes failed: $(tail -n 3 "$WORK/logs/nodes.log")"; finish; }
  NODE_DESC="$NODES kwok nodes"
fi
if kwait --for=condition=Ready node --all --timeout=90s >>"$WORK/logs/nodes.log" 2>&1 \
  && kwait --for=create serviceaccount/default -n default --timeout=60s >>"$WORK/logs/nodes.log" 2>&1; then
  CLUSTER_SECS=$(secs_since "$t")
  timing "cluster up (certs..nodes Ready)" "$CLUSTER_SECS"
  pass "cluster" "etcd, kube-apiserver $("$KUBERNETES_DIR/kube-apiserver" --version | awk '{print $2}'), controller-manager, scheduler on 127.0.0.1; $NODE_DESC Ready in ${CLUSTER_SECS}s"
else
  fail "cluster" "nodes ($NODE_DESC) or the default ServiceAccount not ready in time: $(tail -n 3 "$WORK/logs/nodes.log")"
  finish
fi

[ "$MODE" = cluster ] && finish

# ---------------------------------------------------------------- 3. Pulumi, offline
# The program runs from a snapshot of the working tree (tracked and untracked, not
# ignored files) so that `pulumi stack init` / `config set` (which write the encryption
# salt and config into Pulumi.<stack>.yaml) never touch the repository.
PROJ=$WORK/project
mkdir -p "$PROJ"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard 2>/dev/null | while IFS= read -r -d '' f; do
  [ -e "$f" ] || continue
  mkdir -p "$PROJ/$(dirname "$f")"; cp -p "$f" "$PROJ/$f"
done)
ln -s "$ROOT/node_modules" "$PROJ/node_modules"
[ -d "$ROOT/echo/node_modules" ] && ln -s "$ROOT/echo/node_modules" "$PROJ/echo/node_modules"

export PULUMI_HOME=$WORK/pulumi-home
export PULUMI_BACKEND_URL=file://$WORK/state
export PULUMI_CONFIG_PASSPHRASE="e2e-$RANDOM-$RANDOM"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_SKIP_CONFIRMATIONS=true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
# The CLI and the language host side by side (as in a Pulumi release, where the host is
# bundled next to the CLI), the provider plugin on PATH. Hard links: no copy of the bytes.
mkdir -p "$WORK/state" "$PULUMI_HOME" "$WORK/bin"
for b in "$PULUMI_DIR/pulumi" "$PULUMI_LANGUAGE_NODEJS_DIR/pulumi-language-nodejs"; do
  ln "$b" "$WORK/bin/" 2>/dev/null || cp "$b" "$WORK/bin/"
done
PULUMI=$WORK/bin/pulumi
export PATH="$WORK/bin:$PULUMI_RESOURCE_KUBERNETES_DIR:$PATH"

P_LOG=""
pul() { # <logname> <pulumi args...>: bounded run, output to logs/pulumi-<logname>.log
  # In the background + wait, so a signal reaches the trap at once; `timeout` puts pulumi
  # and its plugins (language host, node, provider) in a process group of its own, which
  # the trap stops as a whole (CUR_PGID).
  local name=$1 rc; shift
  P_LOG="$WORK/logs/pulumi-$name.log"
  (cd "$PROJ" && exec timeout -k 20 "${GRPC_LB_E2E_PULUMI_TIMEOUT:-600}" "$PULUMI" --non-interactive --color never "$@") >"$P_LOG" 2>&1 &
  CUR_PGID=$!
  wait "$CUR_PGID"; rc=$?
  CUR_PGID=""
  return $rc
}
tail_log() { tail -n "${2:-15}" "$1" | sed 's/^/    | /'; }
ns_of() { echo "grpc-lb-$1"; }

for s in "${STACKS[@]}"; do
  if pul "init-$s" stack init "$s" && pul "config-$s" config set grpc-lb:image "$IMAGE" --stack "$s"; then
    pass "$s: stack init" "stack $s created from the committed Pulumi.$s.yaml, grpc-lb:image=$IMAGE"
  else
    fail "$s: stack init" "pulumi stack init / config set failed:"; tail_log "$P_LOG"
  fi
done

for s in "${STACKS[@]}"; do
  t=$(now_ms)
  if pul "preview-$s" preview --stack "$s" --diff; then
    timing "preview $s" "$(secs_since "$t")"
    pass "$s: preview" "succeeded ($(grep -A3 '^Resources:' "$P_LOG" | grep -Eo '[0-9]+ to create' | head -n1))"
  else
    fail "$s: preview" "failed:"; tail_log "$P_LOG" 25
  fi
  t=$(now_ms)
  if pul "up-$s" up --yes --skip-preview --stack "$s"; then
    timing "up $s" "$(secs_since "$t")"
    pass "$s: up" "succeeded in $(secs_since "$t")s ($(grep -A3 '^Resources:' "$P_LOG" | grep -Eo '[0-9]+ created' | head -n1))"
  else
    timing "up $s (failed)" "$(secs_since "$t")"
    fail "$s: up" "failed:"; tail_log "$P_LOG" 30
  fi
done

# ---------------------------------------------------------------- 4. what the API server holds
jp() { k get "$@" 2>/dev/null; }
output_json() { (cd "$PROJ" && "$PULUMI" stack output --json --show-secrets --stack "$1" 2>/dev/null); }
json_get() { node -e 'let v=JSON.parse(require("fs").readFileSync(0,"utf8")); for (const k of process.argv.slice(1)) v=v?.[k]; console.log(typeof v==="string"?v:JSON.stringify(v));' "$@"; }

check_pods_ready() { # <ns> <count>: echo-client-0..count-1 Ready
  local ns=$1 n=$2 i missing=()
  for i in $(seq 0 $((n - 1))); do
    kwait --for=condition=Ready "pod/echo-client-$i" -n "$ns" --timeout=90s >/dev/null 2>&1 || missing+=("echo-client-$i")
  done
  echo "${missing[*]}"
}

check_stack_in_cluster() { # <stack> <mode>
  local s=$1 mode=$2 ns svc target policy want_target want_policy n missing
  ns=$(ns_of "$s")
  svc=$(jp service echo-server -n "$ns" -o jsonpath='{.spec.type}/{.spec.clusterIP}/{.spec.sessionAffinity}/{.spec.ports[0].name}/{.spec.ports[0].port}/{.spec.ports[0].appProtocol}')
  if [ "$mode" = l4 ]; then
    if [[ $svc =~ ^ClusterIP/[0-9.]+/None/grpc/8080/grpc$ ]]; then
      pass "$s: Service" "echo-server is ClusterIP (${svc#ClusterIP/}) with sessionAffinity None, port grpc 8080"
    else fail "$s: Service" "expected ClusterIP with an IP, affinity None, port grpc/8080; got '$svc'"; fi
    want_target="echo-server.$ns.svc.cluster.local:8080"; want_policy=pick_first
  else
    if [[ $svc =~ ^ClusterIP/None/None/grpc/8080/grpc$ ]]; then
      pass "$s: Service" "echo-server is headless (clusterIP None), port grpc 8080"
    else fail "$s: Service" "expected headless (clusterIP None), port grpc/8080; got '$svc'"; fi
    want_target="dns:///echo-server.$ns.svc.cluster.local:8080"; want_policy=round_robin
  fi
  target=$(jp statefulset echo-client -n "$ns" -o jsonpath='{.spec.template.spec.containers[0].env[?(@.name=="ECHO_SERVICE_TARGET")].value}')
  policy=$(jp statefulset echo-client -n "$ns" -o jsonpath='{.spec.template.spec.containers[0].env[?(@.name=="ECHO_LB_POLICY")].value}')
  if [ "$target" = "$want_target" ] && [ "$policy" = "$want_policy" ]; then
    pass "$s: client target/policy" "StatefulSet echo-client: ECHO_SERVICE_TARGET=$target ECHO_LB_POLICY=$policy"
  else
    fail "$s: client target/policy" "want $want_target / $want_policy, StatefulSet has '$target' / '$policy'"
  fi
  n=$(jp statefulset echo-client -n "$ns" -o jsonpath='{.spec.replicas}')
  missing=$(check_pods_ready "$ns" "${n:-0}")
  if [ -n "$n" ] && [ "$n" -ge 1 ] && [ -z "$missing" ]; then
    pass "$s: client pods Ready" "echo-client-0..$((n - 1)) Ready ($([ "$NODE" = real ] && echo running || echo kwok-simulated))"
  else
    fail "$s: client pods Ready" "replicas='$n', not Ready within 90s: ${missing:-?}"
  fi
  local pods slice_pods
  pods=$(jp pods -n "$ns" -l run=echo-server -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}' | sort | tr '\n' ' ')
  slice_pods=""
  for _ in $(seq 1 30); do
    slice_pods=$(jp endpointslices -n "$ns" -l kubernetes.io/service-name=echo-server \
      -o jsonpath='{range .items[*].endpoints[*]}{.targetRef.name}{"\n"}{end}' | sort | tr '\n' ' ')
    [ -n "$pods" ] && [ "$slice_pods" = "$pods" ] && break
    sleep 1
  done
  if [ -n "$pods" ] && [ "$slice_pods" = "$pods" ]; then
    pass "$s: EndpointSlices" "echo-server slices list exactly the server pods: $pods"
  else
    fail "$s: EndpointSlices" "server pods '$pods' vs EndpointSlice targets '$slice_pods'"
  fi
}

check_outputs() { # <stack> <mode>
  local s=$1 mode=$2 ns out problems=() pod cmd n i
  ns=$(ns_of "$s")
  out=$(output_json "$s")
  if [ -z "$out" ]; then fail "$s: outputs" "pulumi stack output --json returned nothing"; return; fi
  [ "$(json_get mode <<<"$out")" = "$mode" ] || problems+=("mode=$(json_get mode <<<"$out")")
  [ "$(json_get namespace <<<"$out")" = "$ns" ] || problems+=("namespace=$(json_get namespace <<<"$out")")
  k get namespace "$ns" >/dev/null 2>&1 || problems+=("namespace $ns missing in cluster")
  [ "$(json_get target <<<"$out")" = "$(jp statefulset echo-client -n "$ns" -o jsonpath='{.spec.template.spec.containers[0].env[?(@.name=="ECHO_SERVICE_TARGET")].value}')" ] || problems+=("target differs from the StatefulSet's")
  [ "$(json_get lbPolicy <<<"$out")" = "$(jp statefulset echo-client -n "$ns" -o jsonpath='{.spec.template.spec.containers[0].env[?(@.name=="ECHO_LB_POLICY")].value}')" ] || problems+=("lbPolicy differs from the StatefulSet's")
  [ "$(json_get image <<<"$out")" = "$(jp statefulset echo-client -n "$ns" -o jsonpath='{.spec.template.spec.containers[0].image}')" ] || problems+=("image differs from the StatefulSet's")
  n=$(json_get clientPods length <<<"$out")
  [ "$n" = "$(jp statefulset echo-client -n "$ns" -o jsonpath='{.spec.replicas}')" ] || problems+=("clientPods has $n names, StatefulSet replicas differ")
  for ((i = 0; i < ${n:-0}; i++)); do
    pod=$(json_get clientPods "$i" <<<"$out")
    k get pod "$pod" -n "$ns" >/dev/null 2>&1 || problems+=("clientPods[$i]=$pod does not exist")
    cmd=$(json_get logCommands "$i" <<<"$out")
    [ "$cmd" = "kubectl logs -f -n $ns $pod" ] || problems+=("logCommands[$i]='$cmd'")
    read -r -a words <<<"$cmd"
    k get namespace "${words[4]:-x}" >/dev/null 2>&1 && k get pod "${words[5]:-x}" -n "${words[4]:-x}" >/dev/null 2>&1 \
      || problems+=("logCommands[$i] names no existing pod")
  done
  [ "$(json_get getPodsCommand <<<"$out")" = "kubectl get pods -n $ns -l run=echo-client" ] || problems+=("getPodsCommand=$(json_get getPodsCommand <<<"$out")")
  if [ ${#problems[@]} -eq 0 ]; then
    pass "$s: outputs match cluster" "mode, namespace, target, lbPolicy, image, $n clientPods and logCommands all match"
  else
    fail "$s: outputs match cluster" "$(IFS=';'; echo "${problems[*]}")"
  fi
}

check_pod_security() { # <stack>
  local s=$1 ns enforce npods out control
  ns=$(ns_of "$s")
  enforce=$(jp namespace "$ns" -o jsonpath='{.metadata.labels.pod-security\.kubernetes\.io/enforce}')
  npods=$(jp pods -n "$ns" -o name | wc -l)
  if [ "$enforce" = restricted ] && [ "$npods" -ge 2 ]; then
    pass "$s: stack pods admitted" "namespace enforces restricted; $npods stack pods admitted"
  else
    fail "$s: stack pods admitted" "enforce label '$enforce', $npods pods in $ns"
  fi
  # A pod that is valid but not "restricted" (no securityContext: root allowed, privilege
  # escalation allowed, capabilities kept, no seccomp profile). The same pod is accepted
  # (server dry-run) in a namespace without Pod Security labels, so only the namespace's
  # enforce label can be what rejects it.
  local violator
  violator=$(printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: e2e-psa-violator}\nspec:\n  containers:\n  - {name: c, image: "%s"}\n' "$IMAGE")
  k get namespace e2e-psa-control >/dev/null 2>&1 || k create namespace e2e-psa-control >/dev/null 2>&1
  out=$(k apply -n "$ns" -f - 2>&1 <<<"$violator")
  control=$(k apply -n e2e-psa-control --dry-run=server -f - 2>&1 <<<"$violator")
  if grep -q 'violates PodSecurity "restricted' <<<"$out" && grep -q created <<<"$control"; then
    pass "$s: non-compliant pod rejected" "$(grep -o 'violates PodSecurity "restricted[^"]*"[^;]*' <<<"$out" | head -n1) (the same pod is accepted in an unlabelled namespace)"
  else
    fail "$s: non-compliant pod rejected" "in $ns: $out | in an unlabelled namespace: $control"
    k delete pod e2e-psa-violator -n "$ns" --wait=false >/dev/null 2>&1
  fi
}

# Real pods only: what the client pods themselves report, read the way a user would
# (kubectl logs). Each client prints a cumulative "distribution so far" table every 10 s.
# l4: the last table shows 1 backend, a current server. clientside: it shows every current
# server (the Service's ready endpoints); after a live switch it may also list servers of
# the previous rollout, which is why it is "every current one", not "exactly these".
last_distribution() { # <ns> <pod>: the last table the pod printed (header + backend lines)
  k logs -n "$1" "$2" --tail=300 2>/dev/null |
    awk '/^distribution so far/ {block = $0; next} block != "" && /^  / {block = block "\n" $0; next} END {print block}'
}
traffic_shape_ok() { # <mode> <table> <current servers, one per line>
  local header backends
  header=$(head -n1 <<<"$2")
  [ "$(grep -Eo '[0-9]+ ok' <<<"$header" | grep -Eo '[0-9]+')" -ge 20 ] 2>/dev/null || return 1
  backends=$(tail -n +2 <<<"$2" | awk '{print $1}' | sort)
  if [ "$1" = l4 ]; then
    [[ $header == *"pinned to 1 backend"* ]] && grep -qxF "$backends" <<<"$3"
  else
    [[ $header == *"spread over"* ]] && [ -z "$(comm -13 <(echo "$backends") <(echo "$3"))" ]
  fi
}
check_traffic() { # <stack> <mode> [label]
  local s=$1 mode=$2 label=${3:-traffic} ns servers n i pod table want problems=() shown=()
  ns=$(ns_of "$s")
  servers=$(jp endpointslices -n "$ns" -l kubernetes.io/service-name=echo-server \
    -o jsonpath='{range .items[*].endpoints[?(@.conditions.ready==true)]}{.targetRef.name}{"\n"}{end}' | sort)
  if [ "$mode" = l4 ]; then want="each client pinned to 1 server"; else want="each client spread over all $(grep -c . <<<"$servers") servers"; fi
  n=$(jp statefulset echo-client -n "$ns" -o jsonpath='{.spec.replicas}')
  for ((i = 0; i < ${n:-0}; i++)); do
    pod=echo-client-$i
    for _ in $(seq 1 24); do # up to 2 min: the first table comes after 10 s
      table=$(last_distribution "$ns" "$pod")
      traffic_shape_ok "$mode" "$table" "$servers" && break
      sleep 5
    done
    printf '%s\n' "-- kubectl logs -n $ns $pod (last table)" "$table" >>"$WORK/logs/traffic-$s.log"
    if traffic_shape_ok "$mode" "$table" "$servers"; then
      shown+=("$pod: $(grep -Eo '[0-9]+ ok, [0-9]+ failed' <<<"$table" | head -n1), $(tail -n +2 <<<"$table" | awk '{printf "%s%s %s", sep, $1, $4; sep=", "}')")
    else
      problems+=("$pod: last table '$(head -n1 <<<"$table")' with backends $(tail -n +2 <<<"$table" | awk '{printf "%s ", $1}')vs ready servers $(tr '\n' ' ' <<<"$servers")")
    fi
  done
  if [ ${#problems[@]} -eq 0 ] && [ "${n:-0}" -ge 1 ] && [ -n "$servers" ]; then
    pass "$s: $label ($want)" "kubectl logs: $(IFS=';'; echo "${shown[*]}")"
  else
    fail "$s: $label ($want)" "${problems[*]:-no client pods or no ready servers}"
  fi
}

# shellcheck source=e2e/faults.sh
source "$ROOT/e2e/faults.sh"
declare -A MODE_OF=([l4]=l4 [clientside]=clientside)
for s in "${STACKS[@]}"; do
  if k get namespace "$(ns_of "$s")" >/dev/null 2>&1; then
    check_stack_in_cluster "$s" "${MODE_OF[$s]}"
    check_outputs "$s" "${MODE_OF[$s]}"
    check_pod_security "$s"
    [ "$NODE" = real ] && check_traffic "$s" "${MODE_OF[$s]}"
  else
    fail "$s: cluster state" "namespace $(ns_of "$s") does not exist (up failed?)"
  fi
done
both=$(k get namespaces -o name 2>/dev/null | grep -c 'namespace/grpc-lb-\(l4\|clientside\)$')
if [ "$both" = 2 ]; then pass "both stacks live" "grpc-lb-l4 and grpc-lb-clientside side by side"; else fail "both stacks live" "$both of 2 namespaces present"; fi

# --hold: the two stacks stay up for a person to look at (kubectl logs -f shows pinned vs
# spread live with real pods), until Enter; without a terminal it does not wait.
if [ "$HOLD" = 1 ]; then
  kc="$KUBECTL --kubeconfig $KUBECONFIG"
  [ -n "$IN_SANDBOX" ] && kc="nsenter --net=/run/netns/$GRPC_LB_E2E_NETNS $kc"
  say "holding: both stacks are up. From another shell$([ -n "$IN_SANDBOX" ] && echo ', as root'):"
  for s in "${STACKS[@]}"; do echo "    $kc logs -f -n $(ns_of "$s") echo-client-0"; done
  echo "    $kc get pods -A -o wide"
  say "press Enter to go on with the remaining checks and the teardown (or wait 1 h)"
  read -r -t 3600 _ 2>/dev/null </dev/tty || say "no terminal to wait on: going on"
fi

# ---------------------------------------------------------------- 5. second up, scaling
for s in "${STACKS[@]}"; do
  t=$(now_ms)
  if pul "noop-$s" up --yes --expect-no-changes --stack "$s"; then
    timing "up $s (no changes)" "$(secs_since "$t")"
    pass "$s: second up" "no changes"
  else
    fail "$s: second up" "pulumi up --expect-no-changes failed:"; tail_log "$P_LOG" 25
  fi
done

# A 4th server pod in both stacks, clients untouched: with real pods, what the running
# clients make of it is the whole point of the two modes. l4: nothing (each stays pinned
# to its old server). clientside: every client finds it, after its connections reach the
# max age (30 s, +-10% jitter) and it re-resolves DNS.
newest_server() { # <ns>
  jp pods -n "$1" -l run=echo-server --sort-by=.metadata.creationTimestamp \
    -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}' | tail -n1
}
check_new_server() { # <stack> <mode> <new pod>: from the clients' own tables
  local s=$1 mode=$2 new=$3 ns n i pod table start secs=() late=()
  ns=$(ns_of "$s")
  n=$(jp statefulset echo-client -n "$ns" -o jsonpath='{.spec.replicas}')
  start=$(date +%s)
  for ((i = 0; i < ${n:-0}; i++)); do
    pod=echo-client-$i
    if [ "$mode" = l4 ]; then
      # Two tables after the new pod turned Ready: it must still have none of the calls.
      [ $i = 0 ] && sleep 20
      table=$(last_distribution "$ns" "$pod")
      if [[ $(head -n1 <<<"$table") == *"pinned to 1 backend"* ]] && ! grep -q "^  $new " <<<"$table"; then
        secs+=("$pod still on $(tail -n +2 <<<"$table" | awk '{print $1}')")
      else
        late+=("$pod: $(head -n1 <<<"$table" | grep -Eo '(pinned|spread)[a-z0-9 ]*'), backends $(tail -n +2 <<<"$table" | awk '{printf "%s ", $1}')")
      fi
    else
      for _ in $(seq 1 18); do # up to 90 s
        grep -q "^  $new " <<<"$(last_distribution "$ns" "$pod")" && break
        sleep 5
      done
      if grep -q "^  $new " <<<"$(last_distribution "$ns" "$pod")"; then secs+=("$pod $(( $(date +%s) - start )) s after up returned")
      else late+=("$pod: $new not in its table after 90 s"); fi
    fi
  done
  if [ ${#late[@]} -eq 0 ] && [ "${n:-0}" -ge 1 ]; then
    if [ "$mode" = l4 ]; then pass "$s: new server, running clients" "$new got no calls: $(IFS=';'; echo "${secs[*]}")"
    else pass "$s: new server, running clients" "every client found $new (10 s table granularity): $(IFS=';'; echo "${secs[*]}")"; fi
  else
    fail "$s: new server, running clients" "$(IFS=';'; echo "${late[*]}")"
  fi
}

for s in "${STACKS[@]}"; do
  ns=$(ns_of "$s")
  if pul "servers-config-$s" config set grpc-lb:serverReplicas 4 --stack "$s"; then
    t=$(now_ms)
    if pul "servers-up-$s" up --yes --skip-preview --stack "$s"; then
      timing "up $s (serverReplicas 3->4)" "$(secs_since "$t")"
      ready=$(jp deployment echo-server -n "$ns" -o jsonpath='{.status.readyReplicas}')
      clients_changed=$(grep -cE 'StatefulSet echo-client (updat|replac|creat|delet)' "$P_LOG")
      if [ "$ready" = 4 ] && [ "$clients_changed" = 0 ]; then
        pass "$s: serverReplicas 3->4" "4 server pods ready; the client StatefulSet was left alone"
        [ "$NODE" = real ] && check_new_server "$s" "${MODE_OF[$s]}" "$(newest_server "$ns")"
      else
        fail "$s: serverReplicas 3->4" "ready servers '$ready', client updates in the up log: $clients_changed"
      fi
    else
      fail "$s: serverReplicas 3->4" "pulumi up failed:"; tail_log "$P_LOG" 25
    fi
  else
    fail "$s: serverReplicas 3->4" "config set failed"; tail_log "$P_LOG"
  fi
done
# Faults, last before the client and mode changes: a fault moves a pinned l4 client to
# another server, which the traffic and new-server checks above must not see.
if [ "$NODE" = real ]; then
  for s in "${STACKS[@]}"; do check_frozen_server "$s" "${MODE_OF[$s]}"; done
fi
k get namespace "$(ns_of l4)" >/dev/null 2>&1 && check_disruption_budget l4

s=l4; ns=$(ns_of $s)
if pul "scale-config" config set grpc-lb:clientReplicas 3 --stack $s; then
  t=$(now_ms)
  if pul "scale-up" up --yes --skip-preview --stack $s; then
    timing "up l4 (clientReplicas 2->3)" "$(secs_since "$t")"
    out=$(output_json $s)
    pods=$(json_get clientPods <<<"$out")
    missing=$(check_pods_ready "$ns" 3)
    if [ "$pods" = '["echo-client-0","echo-client-1","echo-client-2"]' ] && [ -z "$missing" ] \
      && [ "$(json_get logCommands 2 <<<"$out")" = "kubectl logs -f -n $ns echo-client-2" ]; then
      pass "l4: clientReplicas 2->3" "outputs list echo-client-0..2 with their log commands; the 3 pods are Ready"
    else
      fail "l4: clientReplicas 2->3" "clientPods=$pods, not Ready: ${missing:-none}"
    fi
  else
    fail "l4: clientReplicas 2->3" "pulumi up failed:"; tail_log "$P_LOG" 25
  fi
else
  fail "l4: clientReplicas 2->3" "config set failed"; tail_log "$P_LOG"
fi

# A live stack switched l4 -> clientside: spec.clusterIP is immutable, so the Service has
# to be replaced (delete before create, same name) by the real API server's rules.
s=l4; ns=$(ns_of $s)
old_uid=$(jp service echo-server -n "$ns" -o jsonpath='{.metadata.uid}')
if pul "switch-config" config set grpc-lb:mode clientside --stack $s; then
  t=$(now_ms)
  if pul "switch-up" up --yes --skip-preview --stack $s; then
    timing "up l4 (mode l4->clientside)" "$(secs_since "$t")"
    svc=$(jp service echo-server -n "$ns" -o jsonpath='{.metadata.uid}/{.spec.clusterIP}')
    policy=$(jp statefulset echo-client -n "$ns" -o jsonpath='{.spec.template.spec.containers[0].env[?(@.name=="ECHO_LB_POLICY")].value}')
    mode_out=$(output_json $s | json_get mode)
    if [ "${svc#*/}" = None ] && [ "${svc%%/*}" != "$old_uid" ] && [ "$policy" = round_robin ] && [ "$mode_out" = clientside ]; then
      pass "l4: live mode switch" "Service replaced (new uid) as headless, clients now round_robin, output mode=clientside"
      [ "$NODE" = real ] && check_traffic l4 clientside "traffic after the switch"
    else
      fail "l4: live mode switch" "Service uid/clusterIP '$svc' (old uid $old_uid), policy '$policy', output mode '$mode_out'"
    fi
  else
    fail "l4: live mode switch" "pulumi up failed:"; tail_log "$P_LOG" 25
  fi
else
  fail "l4: live mode switch" "config set failed"; tail_log "$P_LOG"
fi

# ---------------------------------------------------------------- 6. bad mode
bad=badmode
if pul "init-bad" stack init $bad && pul "config-bad" config set grpc-lb:mode roundrobin --stack $bad \
  && pul "config-bad2" config set grpc-lb:image "$IMAGE" --stack $bad; then
  t=$(now_ms)
  if pul "preview-bad" preview --stack $bad; then
    fail "bad mode: preview fails" "preview with grpc-lb:mode=roundrobin succeeded"
  else
    msg=$(grep -m1 -E 'error: .*roundrobin' "$P_LOG" | sed 's/^.*error: //')
    if grep -q 'roundrobin' "$P_LOG" && grep -q 'l4' "$P_LOG" && grep -q 'clientside' "$P_LOG"; then
      pass "bad mode: preview fails" "clear message: $msg"
    else
      fail "bad mode: preview fails" "failed, but without naming the value and the allowed modes:"; tail_log "$P_LOG" 20
    fi
  fi
  (cd "$PROJ" && "$PULUMI" stack export --stack $bad >"$WORK/bad-export.json" 2>/dev/null)
  nres=$(json_get deployment resources length <"$WORK/bad-export.json" 2>/dev/null)
  if ! k get namespace grpc-lb-$bad >/dev/null 2>&1 && { [ "${nres:-undefined}" = undefined ] || [ "${nres:-0}" = 0 ]; }; then
    pass "bad mode: nothing created" "no namespace grpc-lb-$bad, no resources in the stack"
  else
    fail "bad mode: nothing created" "namespace present or stack has ${nres} resources"
  fi
  pul "rm-bad" stack rm --yes --force $bad || true
else
  fail "bad mode: preview fails" "could not create the stack:"; tail_log "$P_LOG"
fi

# The quick start's kind trap: a kind context with neither grpc-lb:image nor registry.
# The program cannot reach kind's nodes with a local-daemon build, so preview must stop
# with the fix before anything is registered (components/imageReach.ts).
kind_cfg="$WORK/kind-kubeconfig"
printf 'apiVersion: v1\nkind: Config\ncurrent-context: kind-demo\n' >"$kind_cfg"
if pul "init-kind" stack init kindctx; then
  if KUBECONFIG=$kind_cfg pul "preview-kind" preview --stack kindctx; then
    fail "kind context: preview stops" "preview on a kind context without image or registry succeeded"
  elif grep -q 'kind cluster "demo"' "$P_LOG" && grep -q 'kind load docker-image' "$P_LOG" && grep -q 'grpc-lb:registry' "$P_LOG"; then
    pass "kind context: preview stops" "with the fix: $(grep -m1 -o 'the image would be built[^:]*' "$P_LOG")"
  else
    fail "kind context: preview stops" "failed, but not with the kind fix:"; tail_log "$P_LOG" 20
  fi
  pul "rm-kind" stack rm --yes --force kindctx || true
else
  fail "kind context: preview stops" "could not create the stack:"; tail_log "$P_LOG"
fi

# ---------------------------------------------------------------- 7. destroy
for s in "${STACKS[@]}"; do
  ns=$(ns_of "$s")
  t=$(now_ms)
  if pul "destroy-$s" destroy --yes --skip-preview --stack "$s"; then
    timing "destroy $s" "$(secs_since "$t")"
    gone=0
    for _ in $(seq 1 60); do
      k get namespace "$ns" >/dev/null 2>&1 || { gone=1; break; }
      sleep 1
    done
    if [ $gone = 1 ]; then pass "$s: destroy" "pulumi destroy removed everything; namespace $ns gone"
    else fail "$s: destroy" "namespace $ns still present 60s after destroy: $(jp namespace "$ns" -o jsonpath='{.status.phase}')"; fi
  else
    timing "destroy $s (failed)" "$(secs_since "$t")"
    fail "$s: destroy" "pulumi destroy failed:"; tail_log "$P_LOG" 25
  fi
  if pul "rm-$s" stack rm --yes "$s"; then pass "$s: stack rm" "stack removed"
  else fail "$s: stack rm" "pulumi stack rm failed:"; tail_log "$P_LOG"; fi
done
nleft=$(k get all,endpointslices,networkpolicies,poddisruptionbudgets -A -l app.kubernetes.io/part-of=grpc-lb -o name 2>/dev/null | wc -l)
if [ "$nleft" = 0 ]; then pass "nothing left in the cluster" "no object labelled app.kubernetes.io/part-of=grpc-lb"
else fail "nothing left in the cluster" "$nleft objects labelled app.kubernetes.io/part-of=grpc-lb remain"; fi

finish
