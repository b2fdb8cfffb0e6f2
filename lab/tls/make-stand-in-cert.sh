#!/usr/bin/env bash
# Regenerates the TEST-ONLY certificate and key of lab/kubeApiStandIn.ts (the stand-in
# Kubernetes API server on loopback). The key is committed on purpose: it protects
# nothing, and must never be used for anything but the stand-in.
# Self-signed, for IP 127.0.0.1 and ::1 and DNS localhost, valid ~100 years; the
# certificate is also the CA a client trusts (ECHO_K8S_CA_FILE).
set -euo pipefail
cd "$(dirname "$0")"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout kube-api-stand-in.key -out kube-api-stand-in.crt -days 36500 \
  -subj "/CN=kube-api-stand-in (test only)" \
  -addext "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,digitalSignature,keyCertSign" \
  -addext "extendedKeyUsage=serverAuth"
chmod 644 kube-api-stand-in.key kube-api-stand-in.crt
