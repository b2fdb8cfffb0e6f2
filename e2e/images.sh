#!/usr/bin/env bash
# Builds the images the real-pods e2e runs and writes them to one archive for
# containerd (`ctr images import`): the echo image from echo/Dockerfile, unchanged,
# on the local base image (there is no registry here), mode l7's HAProxy image from
# Debian's haproxy binary (scripts/docker/make-haproxy-image.sh, a stand-in for the
# official image), and a pause image around e2e's own pause binary. Uses the tests'
# private Docker engine (scripts/docker/engine.sh).
#
#   bash e2e/images.sh <pause binary> <echo image ref> <proxy image ref> <pause image ref> <archive.tar>
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
[ $# -eq 5 ] || { echo "usage: bash e2e/images.sh <pause binary> <echo image> <proxy image> <pause image> <archive.tar>" >&2; exit 2; }
PAUSE_BIN=$1 ECHO_IMAGE=$2 PROXY_IMAGE=$3 PAUSE_IMAGE=$4 ARCHIVE=$5
LABEL=grpc-lb.test=e2e

# shellcheck source=scripts/docker/engine.sh
source scripts/docker/engine.sh
log() { echo "[e2e-images] $*" >&2; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"; engine_stop' EXIT

engine_start
base=${GRPC_LB_BASE_IMAGE:-$(bash scripts/docker/make-base-image.sh)}
log "building $ECHO_IMAGE from echo/Dockerfile on $base"
if ! DOCKER_BUILDKIT=1 "$DOCKER" build --network host --progress plain -f echo/Dockerfile \
  --build-arg "BASE_IMAGE=$base" --label "$LABEL" -t "$ECHO_IMAGE" . >"$scratch/build.log" 2>&1; then
  tail -n 40 "$scratch/build.log" >&2
  log "docker build of echo/Dockerfile failed"
  exit 1
fi

proxy=$(bash scripts/docker/make-haproxy-image.sh)
log "tagging $proxy as $PROXY_IMAGE"
"$DOCKER" tag "$proxy" "$PROXY_IMAGE"

log "building $PAUSE_IMAGE"
mkdir -p "$scratch/pause"
cp "$PAUSE_BIN" "$scratch/pause/pause"
tar -C "$scratch/pause" -c pause |
  "$DOCKER" import -c 'ENTRYPOINT ["/pause"]' -c 'USER 65535:65535' - "$PAUSE_IMAGE" >/dev/null

"$DOCKER" save -o "$ARCHIVE" "$ECHO_IMAGE" "$PROXY_IMAGE" "$PAUSE_IMAGE"
log "saved all three to $ARCHIVE ($(du -m "$ARCHIVE" | cut -f1) MB)"
