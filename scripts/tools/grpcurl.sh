#!/usr/bin/env bash
# Builds grpcurl (the protobuf-Go reflection client the grpcurl checks use) from
# the Go module proxy into a cache outside the repository, and prints the
# binary's path on stdout. Logs go to stderr.
#
#   grpcurl=$(bash scripts/tools/grpcurl.sh)
#
# Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/grpc-lb-tools/grpcurl-<version>/grpcurl,
# reused when present. The build goes to a temporary directory that is renamed
# into place only when it succeeded, so an interrupted build is never reused.
set -euo pipefail

VERSION=v1.9.4
MODULE=github.com/fullstorydev/grpcurl/cmd/grpcurl
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/grpc-lb-tools
DEST=$CACHE/grpcurl-$VERSION
BIN=$DEST/grpcurl

log() { echo "[grpcurl] $*" >&2; }

if [[ -x "$BIN" ]]; then
  log "reusing $BIN"
  echo "$BIN"
  exit 0
fi

command -v go >/dev/null 2>&1 || {
  log "go not found on PATH: building grpcurl $VERSION needs Go 1.25 or newer (its go.mod)"
  exit 1
}

mkdir -p "$CACHE"
tmp=$(mktemp -d "$CACHE/.grpcurl-$VERSION.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log "building grpcurl $VERSION with $(go env GOVERSION) (first run: a few minutes, most of it fetching modules)"
started=$(date +%s)
# Only the module proxy configured for Go is used; the local toolchain, no cgo.
if ! (cd "$tmp" && GOBIN="$tmp/bin" GOFLAGS=-trimpath GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0 \
  nice go install "$MODULE@$VERSION") >&2; then
  log "go install $MODULE@$VERSION failed (output above)"
  exit 1
fi
[[ -x "$tmp/bin/grpcurl" ]] || { log "go install succeeded but left no grpcurl binary"; exit 1; }
# Another run may have finished first: keep its binary, drop ours.
if ! mv -T "$tmp/bin" "$DEST" 2>/dev/null; then
  [[ -x "$BIN" ]] || { log "could not move the build into $DEST"; exit 1; }
fi
log "built $BIN in $(($(date +%s) - started)) s"
echo "$BIN"
