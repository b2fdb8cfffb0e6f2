#!/usr/bin/env bash
# `npm run test:containers`: builds echo/Dockerfile with a real Docker engine and
# runs the image the way a cluster would (see checks.ts for what is proved).
#
#   1. engine: DOCKER_HOST if set, else a private dockerd (scripts/docker/engine.sh)
#   2. base:   GRPC_LB_BASE_IMAGE if set (e.g. node:26-trixie-slim where pulls
#              work), else a local node image made from this host's node
#              (scripts/docker/make-base-image.sh): there is no registry here
#   3. build:  echo/Dockerfile, unchanged, with --build-arg BASE_IMAGE=<base>
#   4. proxy:  mode l7's HAProxy image from this host's haproxy
#              (scripts/docker/make-haproxy-image.sh); when that fails, the l7
#              checks fail with its reason and the others still run
#   5. checks: node dist/test/containers/checks.js (compiled by `npm run build`)
#
# Everything it creates carries the label grpc-lb.test=containers and is removed
# at the end, and also at the start (leftovers of a run that was killed).
# Exit status: 0 only if every check passed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

LABEL=grpc-lb.test=containers
IMAGE=grpc-lb-echo:containers-test

# shellcheck source=scripts/docker/engine.sh
source scripts/docker/engine.sh

log() { echo "[containers] $*" >&2; }
seconds_since() { echo $(($(date +%s) - $1)); }

# Earlier local images of repository $1 (another host binary, another input hash)
# are of no more use once $2 exists; only in our own engine.
drop_other_tags() {
  [[ -n "$ENGINE_STARTED" ]] || return 0
  "$DOCKER" images --format '{{.Repository}}:{{.Tag}}' "$1" | grep -vxF "$2" |
    xargs -r "$DOCKER" image rm >/dev/null || true
}

remove_labelled() {
  local -a ids
  mapfile -t ids < <("$DOCKER" ps -aq --filter "label=$LABEL")
  [[ ${#ids[@]} -eq 0 ]] || "$DOCKER" rm -f "${ids[@]}" >/dev/null
  mapfile -t ids < <("$DOCKER" network ls -q --filter "label=$LABEL")
  [[ ${#ids[@]} -eq 0 ]] || "$DOCKER" network rm "${ids[@]}" >/dev/null
}

# shellcheck disable=SC2317 # called by the EXIT trap
finish() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  [[ -z "${build_log:-}" ]] || rm -f "$build_log"
  [[ -z "${proxy_log:-}" ]] || rm -f "$proxy_log"
  if [[ -n "${DOCKER:-}" ]] && "$DOCKER" version >/dev/null 2>&1; then
    remove_labelled
    if [[ -n "$ENGINE_STARTED" ]]; then
      # Our own engine only: drop superseded images and week-old build cache.
      "$DOCKER" image prune -f --filter "label=$LABEL" >/dev/null
      "$DOCKER" builder prune -f --filter until=168h >/dev/null
    fi
  fi
  engine_stop
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

started=$(date +%s)
[[ -f dist/test/containers/checks.js ]] || { log "dist/ is missing: run 'npm run test:containers' (it builds first)"; exit 1; }

phase=$(date +%s)
engine_start
remove_labelled
log "engine ready in $(seconds_since "$phase") s"

phase=$(date +%s)
if [[ -n "${GRPC_LB_BASE_IMAGE:-}" ]]; then
  base=$GRPC_LB_BASE_IMAGE
else
  base=$(bash scripts/docker/make-base-image.sh)
  drop_other_tags grpc-lb-base "$base"
fi
log "base image $base ready in $(seconds_since "$phase") s"

phase=$(date +%s)
log "building $IMAGE from echo/Dockerfile"
# --network host: the build stage's `npm ci` reaches the registry the way this
# host does (the private engine has no default bridge and no NAT).
build_log=$(mktemp)
if ! DOCKER_BUILDKIT=1 "$DOCKER" build --network host --progress plain \
  -f echo/Dockerfile --build-arg "BASE_IMAGE=$base" --label "$LABEL" -t "$IMAGE" . >"$build_log" 2>&1; then
  tail -n 40 "$build_log" >&2
  log "FAIL: docker build of echo/Dockerfile failed (log above)"
  exit 1
fi
log "image built in $(seconds_since "$phase") s"

phase=$(date +%s)
# No haproxy here is a failure of the l7 checks (with this reason), not a skip.
proxy_log=$(mktemp)
proxy_image_error=""
if proxy_image=$(bash scripts/docker/make-haproxy-image.sh 2>"$proxy_log"); then
  drop_other_tags grpc-lb-haproxy "$proxy_image"
  log "haproxy image $proxy_image ready in $(seconds_since "$phase") s"
else
  proxy_image=""
  proxy_image_error=$(grep -v '^\[haproxy-image\] building' "$proxy_log" | tail -n 3 |
    sed 's/^\[haproxy-image\] \(ERROR: \)\{0,1\}//' | tr '\n' ' ')
  log "FAIL: no haproxy image, the l7 checks will fail: $proxy_image_error"
fi

phase=$(date +%s)
set +e
GRPC_LB_TEST_IMAGE=$IMAGE GRPC_LB_TEST_BASE_IMAGE=$base GRPC_LB_TEST_LABEL=$LABEL \
  GRPC_LB_TEST_PROXY_IMAGE=$proxy_image GRPC_LB_TEST_PROXY_IMAGE_ERROR=$proxy_image_error \
  engine_unlocked node dist/test/containers/checks.js
rc=$?
set -e
log "checks took $(seconds_since "$phase") s; whole run $(seconds_since "$started") s"
exit "$rc"
