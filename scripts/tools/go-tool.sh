#!/usr/bin/env bash
# Builds a Go command with `go install` from the Go module proxy into a cache
# outside the repository, and prints the binary's path on stdout. Logs go to
# stderr, tagged with the tool's name. Shared by the thin per-tool scripts
# (grpcurl.sh, ghz.sh), which pin the module and version.
#
#   bin=$(bash scripts/tools/go-tool.sh <name> <module> <version> [<go needed>])
#
# <go needed> is named in the error when Go is missing (e.g. "Go 1.25 or newer").
# Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/grpc-lb-tools/<name>-<version>/<name>,
# reused when present. The build goes to a temporary directory that is renamed
# into place only when it succeeded, so an interrupted build is never reused.
set -euo pipefail

[[ $# -ge 3 ]] || { echo "usage: go-tool.sh <name> <module> <version> [<go needed>]" >&2; exit 2; }
NAME=$1
MODULE=$2
VERSION=$3
NEEDS=${4:-Go}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/grpc-lb-tools
DEST=$CACHE/$NAME-$VERSION
BIN=$DEST/$NAME

log() { echo "[$NAME] $*" >&2; }

if [[ -x "$BIN" ]]; then
  log "reusing $BIN"
  echo "$BIN"
  exit 0
fi

command -v go >/dev/null 2>&1 || {
  log "go not found on PATH: building $NAME $VERSION needs $NEEDS"
  exit 1
}

mkdir -p "$CACHE"
tmp=$(mktemp -d "$CACHE/.$NAME-$VERSION.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log "building $NAME $VERSION with $(go env GOVERSION) (first run: a few minutes, most of it fetching modules)"
started=$(date +%s)
# Only the module proxy configured for Go is used; the local toolchain, no cgo.
if ! (cd "$tmp" && GOBIN="$tmp/bin" GOFLAGS=-trimpath GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0 \
  nice go install "$MODULE@$VERSION") >&2; then
  log "go install $MODULE@$VERSION failed (output above)"
  exit 1
fi
[[ -x "$tmp/bin/$NAME" ]] || { log "go install succeeded but left no $NAME binary"; exit 1; }
# Another run may have finished first: keep its binary, drop ours.
if ! mv -T "$tmp/bin" "$DEST" 2>/dev/null; then
  [[ -x "$BIN" ]] || { log "could not move the build into $DEST"; exit 1; }
fi
log "built $BIN in $(($(date +%s) - started)) s"
echo "$BIN"
