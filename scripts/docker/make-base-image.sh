#!/usr/bin/env bash
# Makes a local stand-in for the official `node:<lts>-slim` image, for machines
# that cannot pull from a registry: this host's own node binary with the shared
# libraries `ldd` lists, npm next to it (same layout as the official image:
# /usr/local/bin/node, /usr/local/lib/node_modules/npm), dash as /bin/sh, and
# the few /etc files a process needs. It is imported with `docker import`.
#
# The tag carries a hash of every input, so an existing image is reused as is
# and any change on the host (node upgrade, new trust bundle) makes a new one.
#
#   DOCKER=<docker client> make-base-image.sh   -> prints the image tag on stdout
#
# If NODE_EXTRA_CA_CERTS is set on the host (a TLS-inspecting proxy in front of
# the package registry, say), that bundle is trusted in the image the same way,
# so `npm ci` in the build stage can reach the registry. Nothing else of the
# host's configuration is copied.
set -euo pipefail
# shellcheck source=scripts/docker/rootfs.sh
source "$(dirname "${BASH_SOURCE[0]}")/rootfs.sh"

: "${DOCKER:?set DOCKER to the docker client to use}"
log() { echo "[base-image] $*" >&2; }
die() { echo "[base-image] ERROR: $*" >&2; exit 1; }

node_bin=$(readlink -f "$(command -v node)") || die "node is not on PATH"
npm_cli=$(readlink -f "$(command -v npm)") || die "npm is not on PATH"
npm_dir=$(dirname "$(dirname "$npm_cli")")      # .../node_modules/npm
[[ -f "$npm_dir/package.json" ]] || die "cannot find npm's package dir next to $npm_cli"
shell_bin=$(readlink -f "$(command -v dash || true)")
[[ -x "$shell_bin" ]] || die "dash is needed for /bin/sh in the base image"
env_bin=$(readlink -f "$(command -v env)")     # npm's `#!/usr/bin/env node`
ca_bundle=${NODE_EXTRA_CA_CERTS:-}
[[ -z "$ca_bundle" || -r "$ca_bundle" ]] || die "NODE_EXTRA_CA_CERTS points to an unreadable file"

node_version=$("$node_bin" -p process.versions.node)
npm_version=$("$node_bin" -p "require('$npm_dir/package.json').version")

# Every shared object the binaries need, by the path the loader finds it at.
mapfile -t lib_paths < <(rootfs_libs "$node_bin" "$shell_bin" "$env_bin")
[[ ${#lib_paths[@]} -gt 0 ]] || die "ldd listed no libraries for $node_bin"

tag=$(
  {
    echo "layout v1"
    sha256sum "$node_bin" "$shell_bin" "$env_bin" "${lib_paths[@]}" ${ca_bundle:+"$ca_bundle"}
    echo "npm $npm_version"
  } | rootfs_tag grpc-lb-base "node$node_version"
)
rootfs_reuse "$tag" base-image

log "building $tag (node $node_version, npm $npm_version)"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{usr/local/bin,usr/local/lib/node_modules,usr/bin,bin,etc,root,tmp}
chmod 1777 "$root/tmp"
chmod 0700 "$root/root"
cp "$node_bin" "$root/usr/local/bin/node"
cp -r "$npm_dir" "$root/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
cp "$shell_bin" "$root/bin/sh"
cp "$env_bin" "$root/usr/bin/env"
rootfs_copy_libs "$root" "${lib_paths[@]}"

cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
rootfs_resolver_files "$root"

changes=(
  --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  --change "ENV NODE_VERSION=$node_version"
  --change 'CMD ["node"]'
)
if [[ -n "$ca_bundle" ]]; then
  mkdir -p "$root/etc/ssl/certs"
  cp -L "$ca_bundle" "$root/etc/ssl/certs/ca-certificates.crt"
  changes+=(--change "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt")
fi

rootfs_import "$root" "$tag" "grpc-lb local node base" "${changes[@]}"
if ! "$DOCKER" run --rm --network none "$tag" npm --version >/dev/null; then
  "$DOCKER" image rm "$tag" >/dev/null 2>&1 || true
  die "the new base image cannot run node and npm"
fi
log "built $tag"
echo "$tag"
