#!/usr/bin/env bash
# Builds the e2e tools (Pulumi CLI + Node.js language host, the Kubernetes provider
# plugin, the Kubernetes control plane, kubectl, kwok, etcd) from the Go module proxy into
# a cache outside the repository, one Go module per tool under e2e/tools/<tool>/.
#
#   bash e2e/build-tools.sh [tool ...]     # default: all tools
#
# Cache: ${GRPC_LB_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/grpc-lb-e2e}/<tool>-<version>-<key>
# where <key> hashes the tool's go.mod/go.sum/*.go and the Go version: a change rebuilds,
# anything else is reused. Builds run under `nice -n 19` with at most 2 parallel compile jobs.
# On success it writes the paths, versions and build times of the tools it was asked for
# to ${GRPC_LB_E2E_TOOLS_ENV:-<cache>/tools.env} (sourced by e2e/run.sh).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOOLS_SRC="$HERE/tools"
CACHE=${GRPC_LB_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/grpc-lb-e2e}
JOBS=${GRPC_LB_E2E_BUILD_JOBS:-2}
if [ "$JOBS" -gt 2 ] 2>/dev/null; then JOBS=2; fi
mkdir -p "$CACHE"

command -v go >/dev/null || { echo "build-tools: Go is required (go 1.26 or newer)" >&2; exit 1; }
GO_VERSION=$(go env GOVERSION)

# Versions: each must match the tool's go.mod (checked below).
PULUMI_VERSION=v3.248.0               # same release as @pulumi/pulumi in package.json
K8S_VERSION=v1.34.4                   # 1.34.x: 1.35 kubelets refuse cgroup v1
KWOK_VERSION=v0.7.0
ETCD_VERSION=v3.6.16
COREDNS_VERSION=v1.15.0               # real-pods e2e only, like kubernetes-node and pause
# The provider has no version tags: its version is the pseudo-version pinned in its go.mod.
PROVIDER_MODULE_VERSION=$(awk -v m=github.com/pulumi/pulumi-kubernetes/provider/v4 \
  '$1==m{print $2; exit} $1=="require" && $2==m{print $3; exit}' "$TOOLS_SRC/pulumi-resource-kubernetes/go.mod")

# Go builds: nothing is fetched outside the module proxy, the committed go.sum is the truth.
export GOFLAGS="-mod=readonly -buildvcs=false -trimpath"
export GOTOOLCHAIN=local
export CGO_ENABLED=0
BUILD=(nice -n 19 go build -p "$JOBS")

log() { printf '[build-tools] %s\n' "$*"; }

tool_key() { # sha of the tool's module files + Go version
  local dir="$TOOLS_SRC/$1"
  { echo "$GO_VERSION"; cd "$dir" && find . -type f \( -name go.mod -o -name go.sum -o -name '*.go' -o -name '*.sh' \) | LC_ALL=C sort | xargs sha256sum; } \
    | sha256sum | cut -c1-12
}

ENV_LINES=()
record() { ENV_LINES+=("$1=$(printf %q "$2")"); }

# build_tool <tool> <version> <est-minutes> <function that builds into $1>
build_tool() {
  local tool=$1 version=$2 est=$3 fn=$4
  local key dest tmp start secs
  key=$(tool_key "$tool")
  dest="$CACHE/$tool-$version-$key"
  local var
  var=$(echo "$tool" | tr 'a-z-' 'A-Z_')
  if [ -f "$dest/.complete" ]; then
    log "reusing $tool $version ($dest, built in $(cat "$dest/.build-seconds")s)"
  else
    log "building $tool $version (first run, ~$est min; log: $dest.log)"
    tmp="$dest.tmp.$$"
    rm -rf "$tmp"; mkdir -p "$tmp/bin"
    start=$(date +%s)
    if ! ( cd "$TOOLS_SRC/$tool" && "$fn" "$tmp/bin" ) >"$dest.log" 2>&1; then
      log "FAILED building $tool $version; last lines of $dest.log:"
      tail -n 30 "$dest.log" >&2
      rm -rf "$tmp"
      return 1
    fi
    secs=$(( $(date +%s) - start ))
    echo "$secs" >"$tmp/.build-seconds"
    echo "$version" >"$tmp/.version"
    touch "$tmp/.complete"
    rm -rf "$dest"; mv "$tmp" "$dest"
    log "built $tool $version in ${secs}s"
  fi
  record "${var}_DIR" "$dest/bin"
  record "${var}_VERSION" "$version"
  record "${var}_BUILD_SECONDS" "$(cat "$dest/.build-seconds")"
}

check_version() { # <tool> <module> <version>: go.mod must require that version
  local have
  have=$(awk -v m="$2" '$1==m || ($1=="require" && $2==m){print ($1==m)?$2:$3; exit}' "$TOOLS_SRC/$1/go.mod")
  [ "$have" = "$3" ] || { echo "build-tools: $1/go.mod requires $2 $have, script expects $3" >&2; exit 1; }
}

# --- builders (run inside e2e/tools/<tool>, $1 = output bin dir) ---------------------

build_kubernetes() {
  local v=${K8S_VERSION#v} pkg=k8s.io/component-base/version
  local minor ld
  minor=$(echo "$v" | cut -d. -f2)
  ld="-s -w -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=${v%%.*} -X $pkg.gitMinor=$minor"
  ld="$ld -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  ld="$ld -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION"
  for cmd in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    echo "== $cmd"
    "${BUILD[@]}" -ldflags "$ld" -o "$1/$cmd" "k8s.io/kubernetes/cmd/$cmd"
  done
}

build_kubernetes_node() { # kubelet and kube-proxy, for real pods (not in the default set)
  local v=${K8S_VERSION#v} pkg=k8s.io/component-base/version minor ld
  minor=$(echo "$v" | cut -d. -f2)
  ld="-s -w -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=${v%%.*} -X $pkg.gitMinor=$minor"
  ld="$ld -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  for cmd in kubelet kube-proxy; do
    echo "== $cmd"
    "${BUILD[@]}" -ldflags "$ld" -o "$1/$cmd" "k8s.io/kubernetes/cmd/$cmd"
  done
}

build_kwok() {
  "${BUILD[@]}" -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" -o "$1/kwok" sigs.k8s.io/kwok/cmd/kwok
}

build_etcd() {
  "${BUILD[@]}" -ldflags "-s -w" -o "$1/etcd" .
}

build_coredns() {
  "${BUILD[@]}" -ldflags "-s -w" -o "$1/coredns" github.com/coredns/coredns
}

build_pause() {
  "${BUILD[@]}" -ldflags "-s -w" -o "$1/pause" .
}

build_pulumi() {
  "${BUILD[@]}" -tags osusergo,grpcnotrace \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
    -o "$1/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
}

build_pulumi_language_nodejs() {
  "${BUILD[@]}" -ldflags "-s -w -X main.version=$PULUMI_VERSION" -o "$1/pulumi-language-nodejs" .
}

build_pulumi_resource_kubernetes() {
  bash ./build.sh "$1"
}

# ------------------------------------------------------------------------------------

want=("$@")
[ ${#want[@]} -gt 0 ] || want=(etcd kubernetes kwok pulumi pulumi-language-nodejs pulumi-resource-kubernetes)
total_start=$(date +%s)
for t in "${want[@]}"; do
  case $t in
    kubernetes) check_version kubernetes k8s.io/kubernetes "$K8S_VERSION"; build_tool kubernetes "$K8S_VERSION" 25 build_kubernetes ;;
    kubernetes-node) check_version kubernetes-node k8s.io/kubernetes "$K8S_VERSION"; build_tool kubernetes-node "$K8S_VERSION" 10 build_kubernetes_node ;;
    kwok) check_version kwok sigs.k8s.io/kwok "$KWOK_VERSION"; build_tool kwok "$KWOK_VERSION" 5 build_kwok ;;
    etcd) check_version etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION"; build_tool etcd "$ETCD_VERSION" 4 build_etcd ;;
    coredns) check_version coredns github.com/coredns/coredns "$COREDNS_VERSION"; build_tool coredns "$COREDNS_VERSION" 6 build_coredns ;;
    pause) build_tool pause local 1 build_pause ;;
    pulumi) check_version pulumi github.com/pulumi/pulumi/pkg/v3 "$PULUMI_VERSION"; build_tool pulumi "$PULUMI_VERSION" 12 build_pulumi ;;
    pulumi-language-nodejs) check_version pulumi-language-nodejs github.com/pulumi/pulumi/sdk/v3 "$PULUMI_VERSION"; build_tool pulumi-language-nodejs "$PULUMI_VERSION" 3 build_pulumi_language_nodejs ;;
    pulumi-resource-kubernetes) build_tool pulumi-resource-kubernetes "$PROVIDER_MODULE_VERSION" 12 build_pulumi_resource_kubernetes ;;
    *) echo "build-tools: unknown tool $t" >&2; exit 2 ;;
  esac
done
env_file=${GRPC_LB_E2E_TOOLS_ENV:-$CACHE/tools.env}
printf '%s\n' "${ENV_LINES[@]}" >"$env_file.tmp.$$" && mv "$env_file.tmp.$$" "$env_file"
log "tools ready (${want[*]}) in $(( $(date +%s) - total_start ))s; paths in $env_file"
