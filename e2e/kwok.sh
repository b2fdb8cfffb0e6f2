# shellcheck shell=bash
# Simulated nodes for `npm run e2e`, sourced by e2e/cluster.sh: kwok turns the nodes it
# manages Ready and their pods Running and Ready (scheduled, with an IP) without running
# anything. It listens on nothing (no --server-address) and manages only nodes annotated
# as fake.
#
# Uses: LOGS, KWOK_DIR (tools.env), KUBECONFIG, kc and start_bg.
KWOK_NODES=3

start_kwok_nodes() {
  start_bg kwok "$KWOK_DIR/kwok" --kubeconfig "$KUBECONFIG" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --cidr 10.0.0.1/24 --node-ip 10.0.0.254 --node-lease-duration-seconds 40
  local i
  for ((i = 0; i < KWOK_NODES; i++)); do
    cat <<YAML
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
YAML
  done | kc apply -f - >"$LOGS/nodes.log" 2>&1 || die "kwok nodes: kubectl apply failed (see $LOGS/nodes.log)"
}
