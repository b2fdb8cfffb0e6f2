#!/usr/bin/env bash
# The cluster's certificates, made with openssl into <dir>: a CA, the API server's serving
# certificate (127.0.0.1 and the in-cluster names), an admin client certificate
# (system:masters), the service-account signing keys, and <dir>/kubeconfig for the admin.
#
#   bash e2e/pki.sh <dir> <api server port> [address the pods reach it at]
set -euo pipefail
[ $# -ge 2 ] && [ $# -le 3 ] || { echo "usage: bash e2e/pki.sh <dir> <api server port> [node ip]" >&2; exit 2; }
mkdir -p "$1"
pki=$(cd "$1" && pwd) port=$2 node_ip=${3:-}
cd "$pki"
sign() { # <name> <subject> <extensions>: a key and a certificate signed by the CA
  openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$1.key" -out "$1.csr"
  printf '%s\n' "$3" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 -extfile "$1.ext" -out "$1.crt"
}
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=grpc-lb-e2e-ca" -keyout ca.key -out ca.crt
sign apiserver "/CN=kube-apiserver" "subjectAltName = IP:127.0.0.1, IP:10.96.0.1,${node_ip:+ IP:$node_ip,} DNS:localhost, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, DNS:kubernetes.default.svc.cluster.local
extendedKeyUsage = serverAuth"
sign admin "/O=system:masters/CN=grpc-lb-e2e-admin" "extendedKeyUsage = clientAuth"
openssl genrsa -out sa.key 2048
openssl rsa -in sa.key -pubout -out sa.pub

cat >kubeconfig <<YAML
apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: https://127.0.0.1:$port
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
YAML
