#!/usr/bin/env bash
# The Node.js the image ships, for running the tests on it: the official
# binaries from the npm registry's node-linux-<arch> package, newest release of
# the major that echo/Dockerfile's BASE_IMAGE names (one place says which Node
# ships). Cached outside the repository; prints the directory holding `node`
# on stdout (put it first on PATH). Logs go to stderr.
#
#   PATH="$(bash scripts/tools/node.sh):$PATH" npm test
#
# Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/grpc-lb-tools/node-<version>-<arch>/bin/node.
# GRPC_LB_NODE_VERSION pins an exact version instead of the newest of the major.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

log() { echo "[node] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

major=$(sed -n 's/^ARG BASE_IMAGE=node:\([0-9]*\)-.*/\1/p' echo/Dockerfile)
[[ -n "$major" ]] || die "cannot read the Node major from echo/Dockerfile's ARG BASE_IMAGE=node:<major>-..."
case $(uname -m) in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) die "no official Node package for $(uname -m) on the npm registry" ;;
esac
package=node-linux-$arch
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/grpc-lb-tools

version=${GRPC_LB_NODE_VERSION:-}
if [[ -z "$version" ]]; then
  # The newest release of the major; offline, the newest one already cached.
  version=$(npm view "$package@$major" version --json 2>/dev/null | node -e '
    let v = JSON.parse(require("fs").readFileSync(0, "utf8") || "[]");
    v = [].concat(v);
    v.sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
    console.log(v.pop() ?? "");' || true)
  if [[ -z "$version" ]]; then
    version=$(find "$CACHE" -maxdepth 1 -name "node-$major.*-$arch" -printf '%f\n' 2>/dev/null | sed "s/^node-//; s/-$arch\$//" | sort -V | tail -n1)
  fi
fi
[[ -n "$version" ]] || die "could not find a $package $major.x release (npm view failed and none is cached)"

dest=$CACHE/node-$version-$arch
if [[ -x "$dest/bin/node" ]]; then
  log "reusing Node $version ($dest)"
  echo "$dest/bin"
  exit 0
fi

mkdir -p "$CACHE"
tmp=$(mktemp -d "$CACHE/.node-$version.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log "fetching $package@$version (about 55 MB, once)"
(cd "$tmp" && npm pack --silent "$package@$version" >/dev/null) || die "npm pack $package@$version failed"
tar -xzf "$tmp/$package-$version.tgz" -C "$tmp" package/bin/node package/LICENSE
mkdir -p "$tmp/out/bin"
mv "$tmp/package/bin/node" "$tmp/out/bin/node"
mv "$tmp/package/LICENSE" "$tmp/out/LICENSE"
[[ "$("$tmp/out/bin/node" -p process.versions.node)" == "$version" ]] || die "the unpacked node does not run or is not $version"
# Another run may have finished first: keep its copy.
mv -T "$tmp/out" "$dest" 2>/dev/null || [[ -x "$dest/bin/node" ]] || die "could not move Node into $dest"
log "Node $version ready in $dest"
echo "$dest/bin"
