# shellcheck shell=bash
# The control plane on 127.0.0.1, sourced by e2e/cluster.sh: etcd, kube-apiserver (RBAC,
# Pod Security admission), kube-controller-manager and kube-scheduler, on ports the
# kernel picks, with their state under $STATE and their logs in $LOGS (e2e/lib.sh's start_bg).
# With a real node (GRPC_LB_E2E_NODE_IP, inside e2e/sandbox.sh's network namespace) the API
# server also listens on the node's address and advertises it, so the `kubernetes` Service
# has an endpoint and pods reach the API (mode api's clients do).
#
# Uses: STATE, LOGS, ETCD_DIR, KUBERNETES_DIR (tools.env); sets API_PORT and KUBECONFIG.

start_control_plane() {
  local pki=$STATE/pki etcd_port peer_port kcm_port sched_port
  read -r etcd_port peer_port API_PORT kcm_port sched_port < <(free_ports 5)
  local node_ip=${GRPC_LB_E2E_NODE_IP:-} reach=(--bind-address 127.0.0.1 --advertise-address 127.0.0.1 --endpoint-reconciler-type none)
  [ -n "$node_ip" ] && reach=(--bind-address 0.0.0.0 --advertise-address "$node_ip")
  bash "$HERE/pki.sh" "$pki" "$API_PORT" "$node_ip" >"$LOGS/openssl.log" 2>&1 || die "certificates: openssl failed (see $LOGS/openssl.log)"
  export KUBECONFIG=$pki/kubeconfig

  start_bg etcd "$ETCD_DIR/etcd" --name e2e --data-dir "$STATE/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "e2e=http://127.0.0.1:$peer_port" --unsafe-no-fsync
  local etcd_pid=${PIDS[-1]}

  start_bg kube-apiserver "$KUBERNETES_DIR/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$etcd_port" \
    "${reach[@]}" --secure-port "$API_PORT" \
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
  local api_pid=${PIDS[-1]}

  local ok=0
  for _ in $(seq 1 120); do
    alive_or_die etcd "$etcd_pid"
    alive_or_die kube-apiserver "$api_pid"
    if [ "$(kc get --raw /readyz 2>/dev/null)" = ok ]; then ok=1; break; fi
    sleep 0.5
  done
  [ $ok = 1 ] || die "kube-apiserver: not ready after 60 s (see $LOGS/kube-apiserver.log)"

  start_bg kube-controller-manager "$KUBERNETES_DIR/kube-controller-manager" \
    --kubeconfig "$KUBECONFIG" --authentication-kubeconfig "$KUBECONFIG" --authorization-kubeconfig "$KUBECONFIG" \
    --bind-address 127.0.0.1 --secure-port "$kcm_port" --cert-dir "$STATE/kcm-certs" \
    --leader-elect=false --use-service-account-credentials=true \
    --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
    --service-cluster-ip-range 10.96.0.0/16 --profiling=false
  start_bg kube-scheduler "$KUBERNETES_DIR/kube-scheduler" \
    --kubeconfig "$KUBECONFIG" --authentication-kubeconfig "$KUBECONFIG" --authorization-kubeconfig "$KUBECONFIG" \
    --bind-address 127.0.0.1 --secure-port "$sched_port" --cert-dir "$STATE/sched-certs" \
    --leader-elect=false --profiling=false
}

kc() { "$KUBERNETES_DIR/kubectl" --request-timeout=20s "$@"; }
