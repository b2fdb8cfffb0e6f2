#!/usr/bin/env bash
# Makes a local stand-in for the official `haproxy` image, for machines that cannot pull
# from a registry: this host's own haproxy binary (Debian's package) with the shared
# libraries `ldd` lists and the loader, laid out as the official image is
# (/usr/local/sbin/haproxy on PATH, the configuration in /usr/local/etc/haproxy,
# STOPSIGNAL SIGUSR1: a soft stop that lets the calls in flight finish), running as
# uid 10001 (the pods' runAsUser) and writing nothing to its root filesystem. No shell,
# no entrypoint script: CMD is what the official entrypoint would run for a config file.
# It is imported with `docker import`, like make-base-image.sh's node base.
#
# The tag carries the haproxy version and a hash of every input, so an existing image is
# reused as is and any change on the host (a haproxy or library upgrade) makes a new one.
#
#   DOCKER=<docker client> make-haproxy-image.sh   -> prints the image tag on stdout
set -euo pipefail
# shellcheck source=scripts/docker/rootfs.sh
source "$(dirname "${BASH_SOURCE[0]}")/rootfs.sh"

: "${DOCKER:?set DOCKER to the docker client to use}"
log() { echo "[haproxy-image] $*" >&2; }
die() { echo "[haproxy-image] ERROR: $*" >&2; exit 1; }

haproxy_bin=$(readlink -f "$(command -v haproxy || echo /usr/sbin/haproxy)")
[[ -x "$haproxy_bin" ]] || die "no haproxy binary: apt-get install -y haproxy"
version=$("$haproxy_bin" -v | awk 'NR == 1 {print $3}')
[[ -n "$version" ]] || die "$haproxy_bin -v printed no version"
UID_GID=10001
CONFIG_DIR=/usr/local/etc/haproxy

mapfile -t lib_paths < <(rootfs_libs "$haproxy_bin")
[[ ${#lib_paths[@]} -gt 0 ]] || die "ldd listed no libraries for $haproxy_bin"

tag=$(
  {
    echo "layout v1 uid $UID_GID stop SIGUSR1"
    sha256sum "$haproxy_bin" "${lib_paths[@]}"
  } | rootfs_tag grpc-lb-haproxy "${version%%-*}"
)
rootfs_reuse "$tag" haproxy-image

log "building $tag (haproxy $version)"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{usr/local/sbin,etc,tmp} "$root$CONFIG_DIR"
chmod 1777 "$root/tmp"
cp "$haproxy_bin" "$root/usr/local/sbin/haproxy"
rootfs_copy_libs "$root" "${lib_paths[@]}"
cat >"$root/etc/passwd" <<PASSWD
root:x:0:0:root:/root:/usr/sbin/nologin
haproxy:x:$UID_GID:$UID_GID:haproxy:$CONFIG_DIR:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
PASSWD
cat >"$root/etc/group" <<GROUP
root:x:0:
haproxy:x:$UID_GID:
nogroup:x:65534:
GROUP
rootfs_resolver_files "$root"

# `docker import` cannot set a stop signal: the root is imported first, then a build from
# stdin (no context; FROM the imported root, which is local) adds the image's settings.
rootfs_import "$root" "$tag-rootfs" "grpc-lb local haproxy $version"
if ! "$DOCKER" build --network none -t "$tag" - >"$root/build.log" 2>&1 <<DOCKERFILE; then
FROM $tag-rootfs
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HAPROXY_VERSION=$version
STOPSIGNAL SIGUSR1
USER $UID_GID:$UID_GID
WORKDIR /
CMD ["haproxy", "-W", "-db", "-f", "$CONFIG_DIR/haproxy.cfg"]
DOCKERFILE
  cat "$root/build.log" >&2
  "$DOCKER" image rm "$tag-rootfs" >/dev/null 2>&1 || true
  die "docker build of the image's settings failed"
fi
"$DOCKER" image rm "$tag-rootfs" >/dev/null

# It must start as the pods run it: its uid, a read-only root, nothing on the network.
if ! "$DOCKER" run --rm --network none --read-only --user "$UID_GID:$UID_GID" "$tag" haproxy -v >/dev/null ||
  [[ $("$DOCKER" image inspect -f '{{.Config.StopSignal}}' "$tag") != SIGUSR1 ]]; then
  "$DOCKER" image rm "$tag" >/dev/null 2>&1 || true
  die "the new image cannot run haproxy read-only as uid $UID_GID, or lost its stop signal"
fi
log "built $tag"
echo "$tag"
