#!/usr/bin/env bash
# Builds the images the real-pods e2e runs and writes them to one archive for
# containerd (`ctr images import`): the echo image from echo/Dockerfile, unchanged,
# on the local base image (there is no registry here), and a pause image around
# e2e's own pause binary. Uses the tests' private Docker engine (scripts/docker/engine.sh).
#
#   bash e2e/images.sh <pause binary> <echo image ref> <pause image ref> <archive.tar>
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
[ $# -eq 4 ] || { echo "usage: bash e2e/images.sh <pause binary> <echo image> <pause image> <archive.tar>" >&2; exit 2; }
PAUSE_BIN=$1 ECHO_IMAGE=$2 PAUSE_IMAGE=$3 ARCHIVE=$4
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

log "building $PAUSE_IMAGE"
mkdir -p "$scratch/pause"
cp "$PAUSE_BIN" "$scratch/pause/pause"
tar -C "$scratch/pause" -c pause |
  "$DOCKER" import -c 'ENTRYPOINT ["/pause"]' -c 'USER 65535:65535' - "$PAUSE_IMAGE" >/dev/null

"$DOCKER" save -o "$ARCHIVE" "$ECHO_IMAGE" "$PAUSE_IMAGE"
log "saved both to $ARCHIVE ($(du -m "$ARCHIVE" | cut -f1) MB)"
